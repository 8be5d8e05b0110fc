"""Pagination for the panel's lists: a page of rows plus the query string to keep on page links."""

from django.core.paginator import Paginator

PER_PAGE = 50


def page_of(request, queryset, *, per_page=PER_PAGE):
    """The requested page of `queryset` (bad or out-of-range numbers give the nearest page)."""
    paginator = Paginator(queryset, per_page)
    page_obj = paginator.get_page(request.GET.get("page"))
    params = request.GET.copy()
    params.pop("page", None)
    query_prefix = f"{params.urlencode()}&" if params else ""
    return {"page_obj": page_obj, "rows": page_obj.object_list, "query_prefix": query_prefix}
