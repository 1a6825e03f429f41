from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import authenticate
from django.contrib.auth.forms import SetPasswordForm
from django.http import HttpRequest

from evolve.accounts.models import User


class SignInForm(forms.Form):
    username = forms.CharField(label="Username", max_length=150, error_messages={"required": "Enter your username"})
    password = forms.CharField(
        label="Password", widget=forms.PasswordInput, error_messages={"required": "Enter your password"}
    )

    def __init__(self, request: HttpRequest, *args: Any, **kwargs: Any) -> None:
        self.request = request
        self.user: User | None = None
        super().__init__(*args, **kwargs)
        self.fields["username"].widget.attrs.update(autocomplete="username", spellcheck="false")
        self.fields["password"].widget.attrs.update(autocomplete="current-password")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.errors:
            return data
        user = authenticate(self.request, username=data["username"], password=data["password"])
        if user is None or not user.is_active:
            # One message for a wrong name or password: it does not reveal which accounts exist.
            raise forms.ValidationError("Enter a correct username and password", code="invalid_login")
        self.user = user
        return data


class SecondFactorForm(forms.Form):
    code = forms.CharField(
        label="Security code",
        help_text="The 6-digit code from your authenticator app, or one of your backup codes",
        max_length=16,
        error_messages={"required": "Enter your security code"},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["code"].widget.attrs.update(autocomplete="one-time-code", spellcheck="false", inputmode="numeric")

    def clean_code(self) -> str:
        return "".join(self.cleaned_data["code"].split())


class PasswordResetRequestForm(forms.Form):
    email = forms.EmailField(
        label="Email address",
        help_text="The email address your Evolve account uses",
        max_length=254,
        error_messages={
            "required": "Enter your email address",
            "invalid": "Enter an email address in the correct format, like name@example.com",
        },
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["email"].widget.attrs.update(autocomplete="email", spellcheck="false")


class NewPasswordForm(SetPasswordForm):  # type: ignore[type-arg]
    """A new password, twice, checked against the password rules in settings."""

    error_messages = {"password_mismatch": "Enter the same password twice"}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["new_password1"].label = "New password"
        self.fields[
            "new_password1"
        ].help_text = (
            "At least 12 characters. Not a common password, not only numbers and not like your name or username"
        )
        self.fields["new_password1"].error_messages["required"] = "Enter a new password"
        self.fields["new_password2"].label = "Confirm new password"
        self.fields["new_password2"].help_text = ""
        self.fields["new_password2"].error_messages["required"] = "Enter the new password again"
