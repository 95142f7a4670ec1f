"""TiTiler serving COGs as XYZ tiles and WMTS, for the background tests (uvicorn runs it on
loopback: `uvicorn background.tests.titiler_app:app`)."""

from fastapi import FastAPI
from titiler.core.factory import TilerFactory
from titiler.extensions import wmtsExtension

app = FastAPI()
# At the root: TiTiler 2.4's WMTS capabilities name tile URLs without the router's prefix.
app.include_router(TilerFactory(extensions=[wmtsExtension()]).router)
