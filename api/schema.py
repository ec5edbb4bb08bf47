"""OpenAPI links: from the answers that create a ticket or a booking to the operations on it.

drf-spectacular has no decorator for links, so this post-processing hook adds
them to the generated schema; clients (and the stateful fuzz test in
tests/integration/test_api_fuzz.py) follow them: a new ticket's ``token`` to
its status, leave, on-my-way and e-mail operations, a booking's ``token`` to its cancellation.
"""

LINKS = {
    ("/api/v1/tickets/", "post", "201"): {
        "TicketStatus": ("/api/v1/tickets/status/{token}/", "get", {"token": "token"}),
        "TicketLeave": ("/api/v1/tickets/status/{token}/leave/", "post", {"token": "token"}),
        "TicketOnMyWay": ("/api/v1/tickets/status/{token}/on-my-way/", "post",
                          {"token": "token"}),
        "TicketNotice": ("/api/v1/tickets/status/{token}/notice/", "post", {"token": "token"}),
    },
    ("/api/v1/kiosk/check-in/", "post", "201"): {
        "CheckedInStatus": ("/api/v1/tickets/status/{token}/", "get", {"token": "token"}),
    },
    ("/api/v1/bookings/", "post", "201"): {
        "BookingCancel": ("/api/v1/bookings/{token}/cancel/", "post", {"token": "token"}),
    },
}


def add_links(result, generator, request, public):
    """drf-spectacular post-processing hook: add the links whose both ends are in the schema."""
    paths = result.get("paths", {})
    for (path, method, status), links in LINKS.items():
        response = paths.get(path, {}).get(method, {}).get("responses", {}).get(status)
        if response is None:
            continue
        for name, (target, target_method, parameters) in links.items():
            operation = paths.get(target, {}).get(target_method)
            if operation is None or "operationId" not in operation:
                continue
            response.setdefault("links", {})[name] = {
                "operationId": operation["operationId"],
                "parameters": {p: f"$response.body#/{field}" for p, field in parameters.items()},
            }
    return result
