"""Authentication shared by the /query/ endpoints."""

from rest_framework import authentication


class BasicAuthentication(authentication.BasicAuthentication):
    """HTTP Basic, as the CbM client sends it; 401 names the realm the clients expect."""

    www_authenticate_realm = "cbmweb"
