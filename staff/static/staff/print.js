// A printable staff page (the lobby poster): its print button opens the browser's print dialog.
const button = document.getElementById("print-poster");
if (button) button.addEventListener("click", function () { window.print(); });
