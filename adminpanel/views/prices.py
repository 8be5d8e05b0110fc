from django.contrib import messages
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from .. import services
from ..selectors import billing as selectors
from ..access import admin_required
from ..forms import PriceForm


@admin_required
@require_GET
def price_list(request):
    return render(request, "adminpanel/price_list.html", {"prices": selectors.price_rows(), "section": "prices"})


@admin_required
def price_add(request):
    form = PriceForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            price = services.price_add(admin=request.user, **form.cleaned_data)
        except services.ActionRefused as exc:
            form.add_error(exc.field or "effective_from", str(exc))
        else:
            messages.success(request, f"Added: {price}.")
            return redirect("adminpanel:prices")
    status = 400 if form.errors else 200
    return render(request, "adminpanel/price_form.html", {"form": form, "section": "prices"}, status=status)
