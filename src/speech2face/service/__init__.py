"""`speech2face serve`: the avatar as a web service (FastAPI) with a page to try it."""
