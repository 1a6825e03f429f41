from django.urls import path

from evolve.accounts import views

app_name = "accounts"
urlpatterns = [
    path("login/", views.sign_in, name="login"),
    path("two-factor/", views.two_factor, name="two-factor"),
    path("two-factor/setup/", views.two_factor_setup, name="two-factor-setup"),
    path("logout/", views.sign_out, name="logout"),
    path("signed-out/", views.signed_out, name="signed-out"),
    path("session/keep-alive/", views.keep_alive, name="keep-alive"),
    path("password/", views.PasswordChange.as_view(), name="password-change"),
    # Reachable before signing in (evolve.accounts.middleware.PUBLIC_PREFIXES). The link's key is random, not an id.
    path("password/reset/", views.PasswordReset.as_view(), name="password-reset"),
    path("password/reset/sent/", views.PasswordResetSent.as_view(), name="password-reset-sent"),
    path(
        "password/reset/<slug:uidb64>/<slug:token>/",
        views.PasswordResetConfirm.as_view(),
        name="password-reset-confirm",
    ),
]
