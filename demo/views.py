"""The front page: what the service offers and a few working example URLs."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from demo.examples import example_urls


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "home.html", {"examples": example_urls()})
