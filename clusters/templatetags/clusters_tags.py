from django import template

from ..selectors import instance_for

register = template.Library()


@register.inclusion_tag("clusters/instance_card.html")
def instance_card(user):
    """`{% load clusters_tags %}{% instance_card user %}`: the instance card for any page."""
    return {"instance": instance_for(user=user)}
