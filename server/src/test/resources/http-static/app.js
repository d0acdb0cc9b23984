document.title = "from app.js";
