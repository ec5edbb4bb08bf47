"""``{{ day|with_weekday }}``: a date with its weekday in the page's language (12月2日(水))."""

from django import template

from queueing.languages import day_with_weekday

register = template.Library()
register.filter("with_weekday", day_with_weekday)
