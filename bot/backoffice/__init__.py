"""The web back-office under /desk/: Starlette pages for operators, staff and the admin."""
