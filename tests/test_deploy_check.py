"""Production settings pass Django's deployment checklist."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_check_deploy_passes_with_production_settings():
    env = {k: v for k, v in os.environ.items() if k not in ("DEBUG",)}
    env.update(
        SECRET_KEY="x" * 20 + "-production-like-secret-key-for-the-check-0123456789",
        DEBUG="0",
        ALLOWED_HOSTS="madoguchi.city.example.jp",
        DJANGO_SETTINGS_MODULE="config.settings",
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT, env=env, capture_output=True, text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout
