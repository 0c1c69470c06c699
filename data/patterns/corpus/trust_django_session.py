"""Trust boundary violation: request data stored in Django's request.session."""

from django.http import HttpResponse


def set_nick(request):
    # ruleid: py.trust-boundary
    request.session["nick"] = request.POST["nick"]
    return HttpResponse("saved")


def set_language(request):
    lang = request.GET.get("lang", "en")
    # ruleid: py.trust-boundary
    request.session["lang"] = lang
    return HttpResponse("saved")


def set_referrer(request):
    ref = request.META.get("HTTP_REFERER", "")
    # ruleid: py.trust-boundary
    request.session["came_from"] = ref
    return HttpResponse("saved")


def count_visit(request):
    # ok: py.trust-boundary
    request.session["visits"] = request.session.get("visits", 0) + 1
    return HttpResponse("saved")


def reset_cart(request):
    _ = request.GET.get("reason")
    # ok: py.trust-boundary
    request.session["cart"] = []
    return HttpResponse("saved")
