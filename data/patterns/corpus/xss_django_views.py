"""Cross-site scripting in Django views.

Sinks: HttpResponse(tainted), mark_safe(tainted). Sanitizers:
django.utils.html.escape; format_html escapes its arguments; render() with a
context is autoescaped; JsonResponse is JSON.
"""
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.html import escape, format_html
from django.utils.safestring import mark_safe
from django.views import View


def greet(request):
    name = request.GET.get("name", "")
    # ruleid: py.xss
    return HttpResponse("<h1>Hello %s</h1>" % name)


def bio(request):
    # ruleid: py.xss
    text = mark_safe(request.POST["bio"])
    return render(request, "bio.html", {"bio": text})


def prefs(request):
    # ruleid: py.xss
    return HttpResponse("<p>Theme: " + request.COOKIES["theme"] + "</p>")


def agent(request):
    ua = request.META.get("HTTP_USER_AGENT", "")
    # ruleid: py.xss
    return HttpResponse(f"<pre>{ua}</pre>")


def echo_body(request):
    # ruleid: py.xss
    return HttpResponse(request.body)


class SearchView(View):
    def get(self, request):
        q = request.GET["q"]
        # ruleid: py.xss
        return HttpResponse("<p>You searched for " + q + "</p>")


def tag_list(request):
    items = ["<li>%s</li>" % t for t in request.GET.getlist("tag")]
    # ruleid: py.xss
    return HttpResponse("<ul>" + "".join(items) + "</ul>")


def greet_escaped(request):
    name = request.GET.get("name", "")
    # ok: py.xss
    return HttpResponse("<h1>Hello %s</h1>" % escape(name))


def bio_escaped(request):
    # ok: py.xss
    text = mark_safe(escape(request.POST["bio"]))
    return render(request, "bio.html", {"bio": text})


def search_format_html(request):
    # format_html escapes every argument
    # ok: py.xss
    return HttpResponse(format_html("<p>You searched for {}</p>", request.GET["q"]))


def search_json(request):
    # ok: py.xss
    return JsonResponse({"q": request.GET["q"]})


def search_template(request):
    # ok: py.xss
    return render(request, "search.html", {"q": request.GET["q"]})


def results_count(request):
    terms = request.GET.getlist("t")
    # ok: py.xss
    return HttpResponse("<p>%d terms</p>" % len(terms))
