"""The unread count of the top bar ("Сообщения 3").

Lazy: nothing is read unless the page renders the count (base.html does for logged-in users), and
then it comes from the cache — Redis in production — or one small indexed query, cached for a minute.
The services drop the cached count of everybody a new message or a read mark concerns.
"""

from __future__ import annotations

from django.core.cache import cache
from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from .selectors import unread_count
from .services import unread_cache_key

CACHE_SECONDS = 60


def _count(request: HttpRequest) -> int:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return 0
    key = unread_cache_key(user.pk, user.date_joined)
    count = cache.get(key)
    if count is None:
        count = unread_count(user)
        cache.set(key, count, CACHE_SECONDS)
    return count


def unread(request: HttpRequest) -> dict:
    return {"unread_messages": SimpleLazyObject(lambda: _count(request))}
