import pytest

from portal.kernel.env import email_settings_from_url, env_bool, env_list


def test_smtp_url_with_starttls_gives_host_port_and_credentials():
    config = email_settings_from_url("smtp://mailer%40acme.test:p%40ss@mail.acme.test:2525?tls=1")
    assert config["EMAIL_HOST"] == "mail.acme.test"
    assert config["EMAIL_PORT"] == 2525
    assert config["EMAIL_HOST_USER"] == "mailer@acme.test"
    assert config["EMAIL_HOST_PASSWORD"] == "p@ss"
    assert config["EMAIL_USE_TLS"] is True
    assert config["EMAIL_USE_SSL"] is False


def test_smtps_url_uses_tls_on_connect_and_port_465():
    config = email_settings_from_url("smtps://user:secret@mail.acme.test")
    assert (config["EMAIL_PORT"], config["EMAIL_USE_SSL"], config["EMAIL_USE_TLS"]) == (465, True, False)


def test_submission_url_uses_starttls_on_587():
    config = email_settings_from_url("submission://user:secret@mail.acme.test")
    assert (config["EMAIL_PORT"], config["EMAIL_USE_TLS"]) == (587, True)


def test_console_and_file_urls_pick_development_backends():
    assert email_settings_from_url("console://")["EMAIL_BACKEND"].endswith("console.EmailBackend")
    file_config = email_settings_from_url("file:///tmp/paraph-mail")
    assert file_config["EMAIL_FILE_PATH"] == "/tmp/paraph-mail"


def test_unknown_email_scheme_is_refused_with_the_variable_named():
    with pytest.raises(ValueError, match="EMAIL_URL"):
        email_settings_from_url("pigeon://coop")


def test_env_bool_refuses_words_it_does_not_know(monkeypatch):
    monkeypatch.setenv("DEBUG", "maybe")
    with pytest.raises(ValueError, match="DEBUG"):
        env_bool("DEBUG", True)


def test_env_list_drops_blanks(monkeypatch):
    monkeypatch.setenv("ALLOWED_HOSTS", "a.test, ,b.test,")
    assert env_list("ALLOWED_HOSTS") == ["a.test", "b.test"]
