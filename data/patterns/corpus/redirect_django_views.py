"""Open redirect in Django views.

Sinks: HttpResponseRedirect(tainted), django.shortcuts.redirect(tainted).
Negatives: url_has_allowed_host_and_scheme guard, reverse(), constants.
"""
from django.http import HttpResponseRedirect
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme


def after_login(request):
    # ruleid: py.open-redirect
    return HttpResponseRedirect(request.GET["next"])


def after_logout(request):
    target = request.POST.get("next", "/")
    # ruleid: py.open-redirect
    return redirect(target)


def from_referer(request):
    back = request.META.get("HTTP_REFERER", "/")
    # ruleid: py.open-redirect
    return HttpResponseRedirect(back)


def checked_next(request):
    target = request.GET.get("next", "/")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = "/"
    # ok: py.open-redirect
    return HttpResponseRedirect(target)


def to_profile(request):
    user_id = request.GET["id"]
    # reverse() builds a path of this site; the argument is quoted into it
    # ok: py.open-redirect
    return redirect(reverse("profile", args=[user_id]))


def to_home(request):
    _ = request.GET.get("next")
    # ok: py.open-redirect
    return HttpResponseRedirect("/")
