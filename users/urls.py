"""Account URLs, mounted under /accounts/."""

from django.urls import path

from users import views

app_name = "users"

urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", views.LogoutView.as_view(), name="logout"),
    path("register/", views.register, name="register"),
    path("register/done/", views.register_done, name="register_done"),
    path("activate/<str:token>/", views.activate, name="activate"),
    path("", views.home, name="home"),
    path("waiting/", views.awaiting_approval, name="awaiting_approval"),
    path("profile/", views.profile, name="profile"),
    path("avatar/<int:user_id>/", views.avatar, name="avatar"),
    path("email/", views.change_email, name="change_email"),
    path("email/confirm/<str:token>/", views.confirm_email_change, name="confirm_email_change"),
    path("password/change/", views.PasswordChangeView.as_view(), name="password_change"),
    path(
        "password/change/done/",
        views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
    path("password/reset/", views.PasswordResetView.as_view(), name="password_reset"),
    path("password/reset/sent/", views.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path(
        "password/reset/<uidb64>/<token>/",
        views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "password/reset/done/",
        views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
]
