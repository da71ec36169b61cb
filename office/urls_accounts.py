"""``/office/accounts/`` — staff accounts, temporary student logins (R17) and leaked credentials (R18)."""

from django.urls import path

from . import views_accounts as views

urlpatterns = [
    path("", views.accounts_page, name="office_accounts"),
    path("new/", views.account_create, name="office_account_create"),
    path("slips/", views.account_slips, name="office_account_slips"),
    path("<int:pk>/", views.account_edit, name="office_account"),
    path("<int:pk>/block/", views.account_block, name="office_account_block"),
    path("<int:pk>/unlock/", views.account_unlock, name="office_account_unlock"),
    path("temporary/", views.temporary_issue, name="office_temporary_logins"),
    path("temporary/end/", views.temporary_end, name="office_temporary_logins_end"),
    path("leaks/", views.leaks_page, name="office_leaks"),
    path("leaks/<int:pk>/", views.leak_detail, name="office_leak"),
    path("leaks/<int:pk>/void/", views.leak_void, name="office_leak_void"),
]
