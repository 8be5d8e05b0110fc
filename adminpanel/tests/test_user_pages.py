"""Finding a user: search, filters, pagination, detail."""

from django.urls import reverse


def test_search_finds_users_by_email_name_hopsworks_username_and_stripe_customer(admin_client_for, make_user):
    make_user("dana@example.com", name="Dana Scully", hopsworks_username="dscully", stripe_customer_id="cus_DANA1")
    make_user("fox@example.com", name="Fox Mulder", hopsworks_username="fmulder", stripe_customer_id="cus_FOX22")
    url = reverse("adminpanel:users")
    for term in ("dana@exa", "Scully", "dscull", "cus_DANA1"):
        body = admin_client_for.get(url, {"q": term}).content.decode()
        assert "dana@example.com" in body, term
        assert "fox@example.com" not in body, term


def test_filters_show_owners_members_suspended_and_prepaid(admin_client_for, alice, bob, make_user):
    make_user("sus@example.com", status="suspended")
    make_user("pre@example.com", billing_mode="prepaid")
    url = reverse("adminpanel:users")

    def emails(flt):
        body = admin_client_for.get(url, {"filter": flt}).content.decode()
        return {e for e in ("alice@", "bob@", "sus@", "pre@") if f"{e}example.com</a>" in body}

    assert emails("members") == {"bob@"}
    assert emails("owners") == {"alice@", "sus@", "pre@"}
    assert emails("suspended") == {"sus@"}
    assert emails("prepaid") == {"pre@"}


def test_no_match_shows_an_empty_state(admin_client_for):
    body = admin_client_for.get(reverse("adminpanel:users"), {"q": "nobody-at-all"}).content.decode()
    assert "No users match this search." in body


def test_user_list_paginates_with_a_constant_number_of_queries(
    admin_client_for, make_user, alice, django_assert_max_num_queries
):
    for n in range(60):
        make_user(f"user{n:02d}@example.com", owner=alice if n % 2 else None)
    url = reverse("adminpanel:users")
    with django_assert_max_num_queries(8):
        first = admin_client_for.get(url).content.decode()
    with django_assert_max_num_queries(8):
        second = admin_client_for.get(url, {"page": 2, "q": "user"}).content.decode()
    assert "Page 1 of 2" in first
    assert "Page 2 of 2" in second and "q=user&amp;page=1" in second


def test_user_detail_shows_identity_team_and_stripe_links(admin_client_for, alice, bob):
    type(alice).objects.filter(pk=alice.pk).update(stripe_customer_id="cus_ALICE", hopsworks_username="alice01")
    body = admin_client_for.get(reverse("adminpanel:user_detail", args=[alice.pk])).content.decode()
    assert alice.auth0_sub in body
    assert "bob@example.com" in body
    assert "https://dashboard.stripe.com/customers/cus_ALICE" in body
    member_page = admin_client_for.get(reverse("adminpanel:user_detail", args=[bob.pk])).content.decode()
    assert "member of" in member_page and "alice@example.com" in member_page


def test_unknown_user_detail_is_404(admin_client_for):
    assert admin_client_for.get(reverse("adminpanel:user_detail", args=[424242])).status_code == 404
