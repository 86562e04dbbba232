"""The technician's calibration tool: camera and sensor procedures, results, saving the profile.

The sensor check's test capture is rated by NFIQ 2 inside the procedure (``station.calibration``),
on a job thread like every procedure here; the window shows the check labelled NFIQ 2 and says
whether it passed the policy's threshold and, if not, why, in the window's language.
"""

from __future__ import annotations

import base64
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QPixmap
from PySide6.QtWidgets import (
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from calibration.sensor import check_message
from domain.catalog import render_error
from station.calibration import Calibration

from .i18n import Language
from .jobs import run_job
from .widgets import FAIL, PASS, LanguageButton, big_font


class CalibrationTool(QMainWindow):
    def __init__(self, station, lang: Language, camera_id: str | None, scanner) -> None:
        super().__init__()
        self.station, self.lang, self.camera_id, self.scanner = station, lang, camera_id, scanner
        self.technician = None
        self.result = None  # the last camera calibration (station.calibration.CameraCalibration)
        self.report = None  # its HTML report
        self.sensor_result: dict | None = None  # the last sensor check (its JSON)
        self.stack = QStackedWidget()
        self.setCentralWidget(self.stack)
        # login
        self.login_page = QWidget()
        self.user, self.password = QLineEdit(), QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.login_button = QPushButton()
        self.login_message = QLabel()
        form = QFormLayout(self.login_page)
        self.user_label, self.password_label = QLabel(), QLabel()
        form.addRow(self.user_label, self.user)
        form.addRow(self.password_label, self.password)
        form.addRow(self.login_button)
        form.addRow(self.login_message)
        self.login_button.clicked.connect(self.login)
        # procedures
        self.work_page = QWidget()
        self.heading = QLabel()
        self.heading.setFont(big_font(18))
        self.steps = QLabel()
        self.steps.setWordWrap(True)
        self.images = QLineEdit()
        self.browse = QPushButton()
        self.board = QLineEdit("9x6")
        self.square = QDoubleSpinBox()
        self.square.setRange(1, 200)
        self.square.setValue(25.0)
        self.run_camera = QPushButton()
        self.run_sensor = QPushButton()
        self.save = QPushButton()
        self.busy = QProgressBar()
        self.busy.setRange(0, 0)
        self.busy.hide()
        self.checks = QListWidget()
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.plots = QVBoxLayout()
        plot_holder = QWidget()
        plot_holder.setLayout(self.plots)
        scroll = QScrollArea()
        scroll.setWidget(plot_holder)
        scroll.setWidgetResizable(True)
        folder_row = QHBoxLayout()
        folder_row.addWidget(self.images)
        folder_row.addWidget(self.browse)
        params = QFormLayout()
        self.folder_label, self.board_label, self.square_label = QLabel(), QLabel(), QLabel()
        params.addRow(self.folder_label, folder_row)
        params.addRow(self.board_label, self.board)
        params.addRow(self.square_label, self.square)
        left = QVBoxLayout()
        for w in (self.heading, self.steps):
            left.addWidget(w)
        left.addLayout(params)
        for w in (self.run_camera, self.run_sensor, self.busy, self.checks, self.save, self.message):
            left.addWidget(w)
        row = QHBoxLayout(self.work_page)
        row.addLayout(left, 1)
        row.addWidget(scroll, 2)
        self.browse.clicked.connect(self.choose_folder)
        self.run_camera.clicked.connect(self.camera_procedure)
        self.run_sensor.clicked.connect(self.sensor_procedure)
        self.save.clicked.connect(self.save_profile)
        self.stack.addWidget(self.login_page)
        self.stack.addWidget(self.work_page)
        self.language = LanguageButton(lang)
        self.language.changed.connect(lambda _c: self.retranslate())
        self.statusBar().addPermanentWidget(self.language)
        self.resize(1300, 850)
        self.retranslate()

    def tr(self, message_id: str, **params: object) -> str:
        return self.lang.tr(message_id, **params)

    def retranslate(self) -> None:
        self.setWindowTitle(self.tr("ui.calibration_title"))
        self.user_label.setText(self.tr("ui.name"))
        self.password_label.setText(self.tr("ui.password"))
        self.login_button.setText(self.tr("ui.login"))
        self.heading.setText(self.tr("ui.calibration_title"))
        self.steps.setText(self.tr("ui.calibration_steps"))
        self.folder_label.setText(self.tr("ui.calibration_folder"))
        self.board_label.setText(self.tr("ui.calibration_board"))
        self.square_label.setText(self.tr("ui.calibration_square"))
        self.browse.setText(self.tr("ui.browse"))
        self.run_camera.setText(self.tr("ui.calibrate_camera"))
        self.run_sensor.setText(self.tr("ui.calibrate_sensor"))
        self.save.setText(self.tr("ui.save_profile"))
        if self.sensor_result is not None:
            self._show_sensor(self.sensor_result)

    def login(self) -> None:
        def done(officer) -> None:
            if not officer.may("calibrate"):
                self.login_message.setText(self.tr("flow.not_allowed", role=officer.role))
                return
            self.technician = officer
            self.save.setEnabled(False)
            self.stack.setCurrentWidget(self.work_page)

        run_job(self.station.officers.authenticate, self.user.text().strip(), self.password.text(), on_done=done,
                on_error=lambda exc: self.login_message.setText(render_error(exc, self.lang.code)))

    def choose_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, self.tr("ui.calibration_folder"))
        if folder:
            self.images.setText(folder)

    def _show_checks(self, checks: list[dict]) -> None:
        self.checks.clear()
        for c in checks:
            item = QListWidgetItem(f"{'✔' if c['passed'] else '✘'}  {c['name']}: {c['value']}  ({c['limit']})")
            item.setForeground(QColor(PASS if c["passed"] else FAIL))
            said = check_message(c, self.lang.code)
            if said:  # the NFIQ 2 check's pass or fail and its reason, also under the list
                item.setToolTip(said)
            self.checks.addItem(item)

    def _show_sensor(self, result: dict) -> None:
        """The checks, the baud rate and level set, and the test capture's NFIQ 2 sentence."""
        self._show_checks(result["checks"])
        lines = [self.tr("ui.sensor_result", baud=result["baud"], level=result["security_level"])]
        lines += [said for c in result["checks"] if (said := check_message(c, self.lang.code))]
        self.message.setText("\n".join(lines))

    def _show_plots(self, figures: list[tuple[str, str]]) -> None:
        while self.plots.count():
            widget = self.plots.takeAt(0).widget()
            if widget is not None:
                widget.deleteLater()
        for caption, uri in figures:
            pixmap = QPixmap()
            pixmap.loadFromData(base64.b64decode(uri.split(",", 1)[1]))
            picture = QLabel()
            picture.setPixmap(pixmap)
            picture.setAlignment(Qt.AlignmentFlag.AlignCenter)
            self.plots.addWidget(QLabel(caption))
            self.plots.addWidget(picture)

    def _failed(self, exc) -> None:
        self.busy.hide()
        self.message.setText(render_error(exc, self.lang.code))

    @property
    def procedure(self) -> Calibration:
        return Calibration(self.station, self.technician.name)

    def camera_procedure(self) -> None:
        self.busy.show()
        self.message.clear()

        def done(calibrated) -> None:
            self.busy.hide()
            self.result = calibrated
            self.sensor_result = None  # the list now shows the camera's checks
            result = calibrated.result
            self._show_checks(result.checks)
            self._show_plots(result.figures)
            uncovered = result.results.get("uncovered")
            self.message.setText(self.tr("calibration.cover_more", regions=", ".join(uncovered)) if uncovered
                                 else self.tr("ui.calibration_ready", id=result.profile.id))
            self.save.setEnabled(True)
            self.report = calibrated.reports[0] if calibrated.reports else None

        run_job(self.procedure.camera, Path(self.images.text()), self.board.text(), self.square.value(),
                self.camera_id, on_done=done, on_error=self._failed)

    def save_profile(self) -> None:
        if self.result is None:
            return
        profile = self.result.profile

        def saved(_path) -> None:
            self.message.setText(self.tr("calibration.profile_saved", id=profile.id, device=profile.device_id))

        run_job(self.procedure.save_profile, self.result, on_done=saved, on_error=self._failed)
        self.save.setEnabled(False)

    def sensor_procedure(self) -> None:
        if self.scanner is None:
            self.message.setText(self.tr("ui.scanner_missing"))
            return
        self.busy.show()
        self.message.setText(self.tr("calibration.sensor_steps"))

        def done(result) -> None:
            self.busy.hide()
            self.sensor_result = result
            self._show_sensor(result)

        run_job(self.procedure.sensor, self.scanner, on_done=done, on_error=self._failed)
