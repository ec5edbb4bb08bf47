"""Template filters every resident page shares (kiosk, status, booking)."""
