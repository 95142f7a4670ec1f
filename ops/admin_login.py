"""The admin's login form, with the failed-login throttle of HTTP Basic
(common.login_throttle): past the limits the form refuses before the password hash runs."""

from __future__ import annotations

from typing import Any

from django.contrib.admin.forms import AdminAuthenticationForm
from django.core.exceptions import ValidationError

from common import login_throttle
from common.errors import QuotaExceeded
from ops.client_ip import client_ip


class ThrottledAdminLoginForm(AdminAuthenticationForm):
    def clean(self) -> dict[str, Any]:
        username = str(self.cleaned_data.get("username") or "")
        ip = client_ip(self.request) if self.request is not None else ""
        try:
            login_throttle.check(username=username, ip=ip)
        except QuotaExceeded as exc:
            raise ValidationError(exc.message, code="throttled") from exc
        try:
            cleaned = super().clean()
        except ValidationError:
            if self.cleaned_data.get("password"):
                login_throttle.failed(username=username, ip=ip)
            raise
        login_throttle.succeeded(username=username, ip=ip)
        return cleaned
