from portal.kernel.roles import org_permissions
from portal.selectors import memberships_of_user


def organization(request) -> dict:
    """The current organization, the user's other organizations (for the switcher) and what
    the user may do, for every template."""
    membership = getattr(request, "membership", None)
    user = getattr(request, "user", None)
    return {
        "current_org": getattr(request, "org", None),
        "current_membership": membership,
        "org_can": org_permissions(membership),
        "my_memberships": memberships_of_user(user) if user is not None and user.is_authenticated else [],
    }
