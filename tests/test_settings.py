from __future__ import annotations

import pytest

from domain.catalog import messages, render
from station.settings import SettingsError, load_settings


def test_defaults_file_and_environment(tmp_path):
    env = {"BIOSTATION_HOME": str(tmp_path)}
    assert load_settings(env).language == "id"
    (tmp_path / "station.toml").write_text('[station]\nlanguage = "en"\ncamera_url = "opencv:0"\n')
    settings = load_settings(env)
    assert (settings.language, settings.camera_url) == ("en", "opencv:0")
    settings = load_settings({**env, "BIOSTATION_CAMERA_URL": "file:/tmp/x"})
    assert settings.camera_url == "file:/tmp/x"


def test_bad_settings_are_named(tmp_path):
    env = {"BIOSTATION_HOME": str(tmp_path)}
    (tmp_path / "station.toml").write_text("colour = 'blue'\n")
    with pytest.raises(SettingsError) as caught:
        load_settings(env)
    assert caught.value.params["keys"] == "colour"
    with pytest.raises(SettingsError):
        load_settings({**env, "BIOSTATION_HOME": str(tmp_path / "x"), "BIOSTATION_LANGUAGE": "fr"})


def test_both_languages_have_every_message():
    assert set(messages("id")) == set(messages("en"))
    assert render("sensor.no_finger", "en", seconds=5) == "No finger was placed within 5 s."
    assert "detik" in render("sensor.no_finger", "id", seconds=5)
    assert render("no.such.id", "en") == "no.such.id"


def test_both_languages_take_the_same_parameters():
    import string

    def fields(text):
        return {f for _, f, _, _ in string.Formatter().parse(text) if f}

    en, id_ = messages("en"), messages("id")
    differ = [k for k in en if fields(en[k]) != fields(id_[k])]
    assert not differ, differ


def test_names_are_rendered_in_the_language():
    from domain.fingers import FingerPosition

    assert render("sensor.place_finger", "id", finger="right-thumb") == "Letakkan ibu jari kanan pada sensor."
    assert render("sensor.place_finger", "en", finger=FingerPosition.LEFT_LITTLE) == (
        "Place the left little finger on the sensor.")
    assert render("flow.wrong_step", "id", step="fingers") == render("flow.wrong_step", "id", step="sidik jari")
    assert "right-thumb" not in render("finger.same_as_other", "id", finger="left-thumb", other="right-thumb")
