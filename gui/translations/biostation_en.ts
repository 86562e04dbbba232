<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="en">
<context>
    <name>biostation</name>
    <message>
        <source>application.unknown</source>
        <translation>There is no application number {number}.</translation>
    </message>
    <message>
        <source>application.unknown_offline</source>
        <translation>Application {number} is not in this station's cache and the central record cannot be reached.</translation>
    </message>
    <message>
        <source>auth.bad_credentials</source>
        <translation>Wrong name or password.</translation>
    </message>
    <message>
        <source>auth.bad_name</source>
        <translation>An account name may use letters, digits, spaces, dots, hyphens and underscores (at most 64).</translation>
    </message>
    <message>
        <source>auth.bad_role</source>
        <translation>'{role}' is not a role; roles are {known}.</translation>
    </message>
    <message>
        <source>auth.exists</source>
        <translation>An account named '{name}' already exists.</translation>
    </message>
    <message>
        <source>auth.locked</source>
        <translation>Too many wrong passwords: the account is locked for {minutes} minutes.</translation>
    </message>
    <message>
        <source>auth.weak_password</source>
        <translation>The password must have at least {length} characters.</translation>
    </message>
    <message>
        <source>bench.running</source>
        <translation>Measuring speed on this machine (about half a minute)...</translation>
    </message>
    <message>
        <source>calibration.bad_board</source>
        <translation>'{board}' is not a board size; give the inner corners as COLUMNSxROWS, e.g. 9x6.</translation>
    </message>
    <message>
        <source>calibration.bad_square</source>
        <translation>The square size must be a positive number of millimetres (got {value}).</translation>
    </message>
    <message>
        <source>calibration.board_not_found</source>
        <translation>The {board} board was not found in any of the {count} views. Make sure the whole board is in the picture, sharp and evenly lit.</translation>
    </message>
    <message>
        <source>calibration.cover_more</source>
        <translation>No view covered: {regions}. Add views with the board in those parts of the picture.</translation>
    </message>
    <message>
        <source>calibration.edge_angle</source>
        <translation>The edge is tilted {angle}°; tilt it between 2 and 10° off vertical.</translation>
    </message>
    <message>
        <source>calibration.lift_finger</source>
        <translation>Lift the finger off the sensor first: the blank-frame check needs an empty window.</translation>
    </message>
    <message>
        <source>calibration.mixed_sizes</source>
        <translation>The views come in different sizes ({sizes}). Take every view with the same camera at one resolution.</translation>
    </message>
    <message>
        <source>calibration.no_colour_chart</source>
        <translation>No 24-patch ColorChecker was found. Fill about a third of the picture with the chart, evenly lit, without glare.</translation>
    </message>
    <message>
        <source>calibration.no_edge</source>
        <translation>No clear edge was found in the sharpness target. Photograph a dark/light edge tilted slightly off vertical.</translation>
    </message>
    <message>
        <source>calibration.no_images</source>
        <translation>The folder '{folder}' holds no images. Photograph the board from 10–20 positions and try again.</translation>
    </message>
    <message>
        <source>calibration.profile_saved</source>
        <translation>Profile {id} saved for camera {device}; every capture from it now applies this profile.</translation>
    </message>
    <message>
        <source>calibration.sensor_steps</source>
        <translation>Sensor check: keep the window empty, then place a finger each time you are asked.</translation>
    </message>
    <message>
        <source>calibration.too_few_views</source>
        <translation>Only {found} views show the whole board; {needed} are needed. Capture {more} more, tilted in different directions, covering: {regions}.</translation>
    </message>
    <message>
        <source>calibration.unreadable</source>
        <translation>The image '{path}' cannot be read.</translation>
    </message>
    <message>
        <source>calibration.wrong_board</source>
        <translation>No {board} board was found, but the views look like a {seen} board. Run again with --board {seen}.</translation>
    </message>
    <message>
        <source>camera.disconnected</source>
        <translation>The camera '{url}' stopped sending pictures. Check its cable.</translation>
    </message>
    <message>
        <source>camera.no_file</source>
        <translation>The file or folder '{path}' for camera '{url}' does not exist.</translation>
    </message>
    <message>
        <source>camera.no_frame</source>
        <translation>The camera '{url}' sent no picture for {seconds} s. Check its cable, then restart it.</translation>
    </message>
    <message>
        <source>camera.no_images</source>
        <translation>The folder '{folder}' has no pictures to play as a camera.</translation>
    </message>
    <message>
        <source>camera.not_found</source>
        <translation>No camera found at '{url}'. Plug it in, or choose another camera in the settings.</translation>
    </message>
    <message>
        <source>camera.unreadable_video</source>
        <translation>The video '{path}' cannot be played.</translation>
    </message>
    <message>
        <source>central.bad_appointment</source>
        <translation>'{value}' is not an ISO date and time (e.g. 2026-11-27T09:30+07:00).</translation>
    </message>
    <message>
        <source>central.bad_birth_date</source>
        <translation>'{value}' is not a valid birth date (YYYY-MM-DD, not in the future).</translation>
    </message>
    <message>
        <source>central.bad_comment</source>
        <translation>The comment is too long (at most 2000 characters).</translation>
    </message>
    <message>
        <source>central.bad_db_url</source>
        <translation>'{url}' is not a database address (e.g. sqlite:///central.db or postgresql://user@host/db).</translation>
    </message>
    <message>
        <source>central.bad_json</source>
        <translation>The request is not a valid JSON object.</translation>
    </message>
    <message>
        <source>central.bad_name</source>
        <translation>The {field} may contain letters, spaces, apostrophes, hyphens and dots only (at most 100).</translation>
    </message>
    <message>
        <source>central.bad_query</source>
        <translation>The date or time zone in the request is not valid.</translation>
    </message>
    <message>
        <source>central.bad_service</source>
        <translation>'{value}' is not a service this office offers ({known}).</translation>
    </message>
    <message>
        <source>central.bad_stars</source>
        <translation>Please choose from 1 to 5 stars.</translation>
    </message>
    <message>
        <source>central.bad_station_key</source>
        <translation>The station's public key is not a valid Ed25519 key.</translation>
    </message>
    <message>
        <source>central.bad_station_name</source>
        <translation>A station needs a name of at most 100 characters.</translation>
    </message>
    <message>
        <source>central.bad_token</source>
        <translation>The registration token is unknown or already used. Ask for a new one.</translation>
    </message>
    <message>
        <source>central.busy</source>
        <translation>The central record is busy. Try again in a moment.</translation>
    </message>
    <message>
        <source>central.db_unreachable</source>
        <translation>The database '{url}' cannot be opened or reached.</translation>
    </message>
    <message>
        <source>central.emulated_in_production</source>
        <translation>This central record runs in production and refuses records captured with emulated devices.</translation>
    </message>
    <message>
        <source>central.naive_time</source>
        <translation>The time '{value}' has no time zone.</translation>
    </message>
    <message>
        <source>central.no_application</source>
        <translation>There is no application number {number}.</translation>
    </message>
    <message>
        <source>central.no_packet</source>
        <translation>The central record has no packet {packet}.</translation>
    </message>
    <message>
        <source>central.not_enrolled</source>
        <translation>Application {number} has no enrolled record yet.</translation>
    </message>
    <message>
        <source>central.not_utf8</source>
        <translation>The request is not valid UTF-8 text.</translation>
    </message>
    <message>
        <source>central.packet_bad_signature</source>
        <translation>The record packet's signature does not match the station that sent it. It was not stored.</translation>
    </message>
    <message>
        <source>central.packet_conflict</source>
        <translation>A different record already arrived under packet id {packet}. It was not stored; contact support.</translation>
    </message>
    <message>
        <source>central.packet_malformed</source>
        <translation>The record packet is damaged or not a record packet ({reason}). It was not stored.</translation>
    </message>
    <message>
        <source>central.packet_mismatch</source>
        <translation>The record packet's contents do not match its label. It was not stored.</translation>
    </message>
    <message>
        <source>central.packet_undecryptable</source>
        <translation>The record packet cannot be opened: it was changed on the way or sealed for another central record. It was not stored.</translation>
    </message>
    <message>
        <source>central.refused</source>
        <translation>The central record refused the request (HTTP {status}): {reason}</translation>
    </message>
    <message>
        <source>central.request_bad_signature</source>
        <translation>The request's signature is not valid for this station.</translation>
    </message>
    <message>
        <source>central.request_stale</source>
        <translation>The station's clock is more than five minutes off. Correct the station's date and time.</translation>
    </message>
    <message>
        <source>central.server_error</source>
        <translation>The central record at {url} had a problem (HTTP {status}). Records wait safely in the outbox.</translation>
    </message>
    <message>
        <source>central.serving</source>
        <translation>Central record listening at {url}.</translation>
    </message>
    <message>
        <source>central.station_unknown</source>
        <translation>Station '{station}' is not registered with this central record. Register it with a one-time token first.</translation>
    </message>
    <message>
        <source>central.token_once</source>
        <translation>One-time registration token (valid for one station):</translation>
    </message>
    <message>
        <source>central.too_large</source>
        <translation>The request is larger than the central record accepts.</translation>
    </message>
    <message>
        <source>central.unreachable</source>
        <translation>The central record at {url} cannot be reached. Records wait safely in the outbox.</translation>
    </message>
    <message>
        <source>central.wrong_content_type</source>
        <translation>Wrong content type; expected {expected}.</translation>
    </message>
    <message>
        <source>cli.console_not_built</source>
        <translation>The officer console is not part of this build yet. Use 'biostation devices check' and 'biostation capture finger' meanwhile.</translation>
    </message>
    <message>
        <source>cli.fingers_or_synthetic</source>
        <translation>Give either --fingers DIR or --synthetic N (one of them).</translation>
    </message>
    <message>
        <source>cli.no_file</source>
        <translation>The file '{path}' does not exist.</translation>
    </message>
    <message>
        <source>cli.no_folder</source>
        <translation>The folder '{folder}' does not exist.</translation>
    </message>
    <message>
        <source>cli.positive_counts</source>
        <translation>The numbers of fingers and impressions must be at least 1.</translation>
    </message>
    <message>
        <source>cli.unknown_finger</source>
        <translation>'{finger}' is not a finger name, e.g. right-thumb, left-index.</translation>
    </message>
    <message>
        <source>consent.text</source>
        <translation>Your face photo and fingerprints are collected to process your travel document application (UU 27/2022 on Personal Data Protection). They are sent encrypted to the immigration office's central record and deleted from this station once received. You may ask the office to see or correct your data.</translation>
    </message>
    <message>
        <source>device.bad_images</source>
        <translation>The folder '{folder}' holds no images this station can read ({suffixes}).</translation>
    </message>
    <message>
        <source>device.bad_parameter</source>
        <translation>In '{url}', {name}={value} is not a valid setting.</translation>
    </message>
    <message>
        <source>device.busy</source>
        <translation>The device at '{url}' is in use by another program. Close it and try again.</translation>
    </message>
    <message>
        <source>device.cancelled</source>
        <translation>Capture cancelled.</translation>
    </message>
    <message>
        <source>device.error</source>
        <translation>The device reported a problem.</translation>
    </message>
    <message>
        <source>device.garbled</source>
        <translation>The fingerprint sensor sent a garbled answer (a loose cable or interference?). Try again; if it keeps happening, reconnect the sensor.</translation>
    </message>
    <message>
        <source>device.no_image_folder</source>
        <translation>The image folder '{folder}' does not exist or cannot be opened.</translation>
    </message>
    <message>
        <source>device.not_found</source>
        <translation>No device answers at '{url}'. Check that it is plugged in and the address is right.</translation>
    </message>
    <message>
        <source>device.timeout</source>
        <translation>The device did not answer in time. Try again.</translation>
    </message>
    <message>
        <source>device.unknown_finger</source>
        <translation>There is no finger '{finger}' in '{folder}'.</translation>
    </message>
    <message>
        <source>device.unknown_scheme</source>
        <translation>'{url}' is not a device address this station knows. Known kinds: {known}</translation>
    </message>
    <message>
        <source>device.unreadable_image</source>
        <translation>The image '{path}' cannot be read: it is missing, damaged or not an image.</translation>
    </message>
    <message>
        <source>emulator.commands</source>
        <translation>Commands: place FINGER [IMPRESSION], lift, quit.</translation>
    </message>
    <message>
        <source>emulator.lifted</source>
        <translation>Finger lifted.</translation>
    </message>
    <message>
        <source>emulator.not_fingerprint</source>
        <translation>Warning: '{path}' does not look like a fingerprint; the sensor will reject it.</translation>
    </message>
    <message>
        <source>emulator.placed</source>
        <translation>Finger {finger} placed on the sensor.</translation>
    </message>
    <message>
        <source>emulator.ready</source>
        <translation>ZFM sensor emulator ready at {link} ({fingers} fingers, {images} images). Type 'place FINGER IMPRESSION', 'lift' or 'quit'.</translation>
    </message>
    <message>
        <source>enroll.application</source>
        <translation>Application {number}: {name}.</translation>
    </message>
    <message>
        <source>enroll.face_best_kept</source>
        <translation>Keeping the best photo with a quality exception for the supervisor.</translation>
    </message>
    <message>
        <source>enroll.face_timeout</source>
        <translation>No photo met every requirement within {seconds} s (failing: {checks}). A supervisor's approval (BIOSTATION_SUPERVISOR) is needed to keep the best one.</translation>
    </message>
    <message>
        <source>enroll.finger_exhausted</source>
        <translation>The {finger} never reached the quality needed; a supervisor's approval (BIOSTATION_SUPERVISOR) is needed to continue.</translation>
    </message>
    <message>
        <source>enroll.in_outbox</source>
        <translation>The record is safe in the outbox (packet {packet}).</translation>
    </message>
    <message>
        <source>enroll.liveness_failed</source>
        <translation>The liveness check failed: ask the applicant to face the camera and follow the instructions, then try again.</translation>
    </message>
    <message>
        <source>enroll.needs_supervisor</source>
        <translation>This enrollment has exceptions that need a supervisor's approval (BIOSTATION_SUPERVISOR and BIOSTATION_SUPERVISOR_PASSWORD).</translation>
    </message>
    <message>
        <source>enroll.no_consent</source>
        <translation>Enrollment needs consent: add --consent once the applicant has agreed.</translation>
    </message>
    <message>
        <source>enroll.no_password</source>
        <translation>Set BIOSTATION_PASSWORD to the officer's password.</translation>
    </message>
    <message>
        <source>face.bad_dtype</source>
        <translation>The photo has pixel values of an unusable type ({dtype}).</translation>
    </message>
    <message>
        <source>face.bad_shape</source>
        <translation>The photo has an unexpected shape {shape}.</translation>
    </message>
    <message>
        <source>face.bad_size</source>
        <translation>The photo is {width}×{height} pixels: too small or too large.</translation>
    </message>
    <message>
        <source>face.empty_image</source>
        <translation>The photo is empty.</translation>
    </message>
    <message>
        <source>face.unreadable</source>
        <translation>The photo '{path}' cannot be read: it is missing, damaged or not an image.</translation>
    </message>
    <message>
        <source>face_record.bad_length</source>
        <translation>The face record's length fields do not match its size.</translation>
    </message>
    <message>
        <source>face_record.not_a_record</source>
        <translation>This is not an ISO/IEC 19794-5 face record.</translation>
    </message>
    <message>
        <source>face_record.unsupported</source>
        <translation>The face record is not a full-frontal JPEG with eye positions.</translation>
    </message>
    <message>
        <source>finger.accepted</source>
        <translation>The {finger} is done (quality {quality}).</translation>
    </message>
    <message>
        <source>finger.again</source>
        <translation>Good. Lift the {finger} and place it again.</translation>
    </message>
    <message>
        <source>finger.exhausted</source>
        <translation>The {finger} did not reach the quality needed after every attempt. Keep the best print with an exception, or mark the finger missing or injured.</translation>
    </message>
    <message>
        <source>finger.inconsistent</source>
        <translation>The two prints of the {finger} do not agree. Place the same finger again, flat and still.</translation>
    </message>
    <message>
        <source>finger.poor_quality</source>
        <translation>The print of the {finger} is unclear (quality {quality}, needs {minimum}). Clean the sensor, press flat and try again.</translation>
    </message>
    <message>
        <source>finger.same_as_other</source>
        <translation>That print matches the {other} already taken. Place the {finger} instead.</translation>
    </message>
    <message>
        <source>fingerprint.bad_dpi</source>
        <translation>A resolution of {dpi} dpi is not plausible for a fingerprint image.</translation>
    </message>
    <message>
        <source>fingerprint.bad_dtype</source>
        <translation>The fingerprint image has pixel values of an unusable type ({dtype}).</translation>
    </message>
    <message>
        <source>fingerprint.bad_shape</source>
        <translation>The fingerprint image has an unexpected shape {shape}.</translation>
    </message>
    <message>
        <source>fingerprint.bad_size</source>
        <translation>The fingerprint image is {width}×{height} pixels: too small or too large to hold a fingerprint.</translation>
    </message>
    <message>
        <source>fingerprint.empty_image</source>
        <translation>The fingerprint image is empty.</translation>
    </message>
    <message>
        <source>fingerprint.no_finger_area</source>
        <translation>No finger can be seen in the image. Place the finger flat in the middle of the sensor.</translation>
    </message>
    <message>
        <source>fingerprint.not_a_fingerprint</source>
        <translation>The image does not look like a fingerprint. Clean the sensor and place the finger again.</translation>
    </message>
    <message>
        <source>flow.fingers_pending</source>
        <translation>The {finger} has not been captured or exempted yet.</translation>
    </message>
    <message>
        <source>flow.guardian_needed</source>
        <translation>The applicant is a minor: record the consenting guardian's name.</translation>
    </message>
    <message>
        <source>flow.no_consent</source>
        <translation>Enrollment needs the applicant's consent. Without it nothing is captured.</translation>
    </message>
    <message>
        <source>flow.no_face</source>
        <translation>No face was captured.</translation>
    </message>
    <message>
        <source>flow.not_allowed</source>
        <translation>Your role ({role}) may not enroll applicants.</translation>
    </message>
    <message>
        <source>flow.not_supervisor</source>
        <translation>{name} is not a supervisor and cannot approve exceptions.</translation>
    </message>
    <message>
        <source>flow.wrong_step</source>
        <translation>That cannot be done now (current step: {step}).</translation>
    </message>
    <message>
        <source>icao.background</source>
        <translation>Plain background</translation>
    </message>
    <message>
        <source>icao.centred</source>
        <translation>Face centred</translation>
    </message>
    <message>
        <source>icao.clipping</source>
        <translation>Over- or under-exposed pixels</translation>
    </message>
    <message>
        <source>icao.do.close_mouth</source>
        <translation>Close your mouth; keep a neutral expression.</translation>
    </message>
    <message>
        <source>icao.do.even_light</source>
        <translation>The light on your face is uneven.</translation>
    </message>
    <message>
        <source>icao.do.hold_still</source>
        <translation>Hold still.</translation>
    </message>
    <message>
        <source>icao.do.less_light</source>
        <translation>The picture is too bright: less light, please.</translation>
    </message>
    <message>
        <source>icao.do.lower_chin</source>
        <translation>Lower your chin slightly.</translation>
    </message>
    <message>
        <source>icao.do.more_light</source>
        <translation>The picture is too dark: more light, please.</translation>
    </message>
    <message>
        <source>icao.do.move_closer</source>
        <translation>Come a little closer to the camera.</translation>
    </message>
    <message>
        <source>icao.do.move_left</source>
        <translation>Move a little to your left.</translation>
    </message>
    <message>
        <source>icao.do.move_right</source>
        <translation>Move a little to your right.</translation>
    </message>
    <message>
        <source>icao.do.no_face</source>
        <translation>Look at the camera.</translation>
    </message>
    <message>
        <source>icao.do.one_person</source>
        <translation>Only the applicant may be in the picture.</translation>
    </message>
    <message>
        <source>icao.do.open_eyes</source>
        <translation>Open your eyes and look at the camera.</translation>
    </message>
    <message>
        <source>icao.do.plain_background</source>
        <translation>Stand in front of a plain background.</translation>
    </message>
    <message>
        <source>icao.do.raise_chin</source>
        <translation>Raise your chin slightly.</translation>
    </message>
    <message>
        <source>icao.do.straighten_head</source>
        <translation>Keep your head straight.</translation>
    </message>
    <message>
        <source>icao.do.turn_left</source>
        <translation>Turn your head slightly to your left.</translation>
    </message>
    <message>
        <source>icao.do.turn_right</source>
        <translation>Turn your head slightly to your right.</translation>
    </message>
    <message>
        <source>icao.exposure</source>
        <translation>Exposure</translation>
    </message>
    <message>
        <source>icao.eye_distance</source>
        <translation>Distance between the eyes</translation>
    </message>
    <message>
        <source>icao.eyes_open</source>
        <translation>Eyes open</translation>
    </message>
    <message>
        <source>icao.illumination</source>
        <translation>Even light on the face</translation>
    </message>
    <message>
        <source>icao.mouth_closed</source>
        <translation>Mouth closed, neutral expression</translation>
    </message>
    <message>
        <source>icao.one_face</source>
        <translation>Exactly one face</translation>
    </message>
    <message>
        <source>icao.pitch</source>
        <translation>Head tilted up/down</translation>
    </message>
    <message>
        <source>icao.roll</source>
        <translation>Head tilted sideways</translation>
    </message>
    <message>
        <source>icao.sharpness</source>
        <translation>Sharpness</translation>
    </message>
    <message>
        <source>icao.yaw</source>
        <translation>Head turned left/right</translation>
    </message>
    <message>
        <source>liveness.do.blink</source>
        <translation>Blink your eyes.</translation>
    </message>
    <message>
        <source>liveness.do.turn_left</source>
        <translation>Turn your head to your left.</translation>
    </message>
    <message>
        <source>liveness.do.turn_right</source>
        <translation>Turn your head to your right.</translation>
    </message>
    <message>
        <source>liveness.frozen</source>
        <translation>The picture did not move. A live person must stand in front of the camera.</translation>
    </message>
    <message>
        <source>liveness.timeout</source>
        <translation>The check took too long. Please try again, or see an officer.</translation>
    </message>
    <message>
        <source>officer.added</source>
        <translation>Account '{name}' ({role}) added.</translation>
    </message>
    <message>
        <source>officer.password_stdin</source>
        <translation>Give the password on standard input with --password-stdin.</translation>
    </message>
    <message>
        <source>outbox.counts</source>
        <translation>Outbox: {pending} waiting, {delivered} delivered, {failed} failed.</translation>
    </message>
    <message>
        <source>outbox.flushed</source>
        <translation>Delivered {delivered}, refused {refused}, still waiting {pending}.</translation>
    </message>
    <message>
        <source>outbox.no_packet</source>
        <translation>The outbox has no packet {packet}.</translation>
    </message>
    <message>
        <source>outbox.unreachable</source>
        <translation>The central record cannot be reached; {pending} record(s) wait in the outbox.</translation>
    </message>
    <message>
        <source>policy.bad_fingers</source>
        <translation>The finger list '{fingers}' is empty or repeats a finger.</translation>
    </message>
    <message>
        <source>policy.unknown_finger</source>
        <translation>'{fingers}' names an unknown finger; known: {known}.</translation>
    </message>
    <message>
        <source>policy.unknown_keys</source>
        <translation>The [policy] settings contain unknown keys: {keys}.</translation>
    </message>
    <message>
        <source>sensor.disconnected</source>
        <translation>The fingerprint sensor at '{url}' was disconnected. Plug it back in.</translation>
    </message>
    <message>
        <source>sensor.fingers_differ</source>
        <translation>The two placements were not the same finger. Start again with one finger.</translation>
    </message>
    <message>
        <source>sensor.no_answer</source>
        <translation>The fingerprint sensor at '{url}' does not answer. Check its cable and power, then try again.</translation>
    </message>
    <message>
        <source>sensor.no_finger</source>
        <translation>No finger was placed within {seconds} s.</translation>
    </message>
    <message>
        <source>sensor.no_port</source>
        <translation>'{url}' names no serial port, e.g. zfm:/dev/ttyUSB0.</translation>
    </message>
    <message>
        <source>sensor.place_finger</source>
        <translation>Place the {finger} on the sensor.</translation>
    </message>
    <message>
        <source>sensor.wrong_address</source>
        <translation>The fingerprint sensor at '{url}' has another address than the one configured.</translation>
    </message>
    <message>
        <source>sensor.wrong_password</source>
        <translation>The fingerprint sensor at '{url}' refused the password. Check the station's sensor settings.</translation>
    </message>
    <message>
        <source>settings.bad_language</source>
        <translation>The language '{value}' is not available; choose 'id' or 'en'.</translation>
    </message>
    <message>
        <source>settings.bad_value</source>
        <translation>In '{path}', the setting '{key}' must be text.</translation>
    </message>
    <message>
        <source>settings.unknown_keys</source>
        <translation>The station settings file '{path}' has unknown settings: {keys}</translation>
    </message>
    <message>
        <source>settings.unreadable</source>
        <translation>The station settings file '{path}' cannot be read: {reason}</translation>
    </message>
    <message>
        <source>station.not_registered</source>
        <translation>This station is not registered. Run: biostation station register --central URL --token TOKEN</translation>
    </message>
    <message>
        <source>station.other_central</source>
        <translation>This station is registered with {registered}, not {url}.</translation>
    </message>
    <message>
        <source>station.registered</source>
        <translation>Station {station} ({name}) registered with {central}.</translation>
    </message>
    <message>
        <source>storage.corrupt</source>
        <translation>Stored data '{what}' cannot be read: it is damaged or was changed. It was set aside; contact support.</translation>
    </message>
    <message>
        <source>synth.done</source>
        <translation>{count} synthetic fingerprint images written to {folder}.</translation>
    </message>
    <message>
        <source>template.bad_extension</source>
        <translation>The fingerprint template is damaged (extended data, {reason}).</translation>
    </message>
    <message>
        <source>template.bad_length</source>
        <translation>The fingerprint template says it is {declared} bytes long but is {actual}.</translation>
    </message>
    <message>
        <source>template.bad_minutia</source>
        <translation>The fingerprint template is damaged (minutia {index}).</translation>
    </message>
    <message>
        <source>template.no_views</source>
        <translation>The fingerprint template holds no finger.</translation>
    </message>
    <message>
        <source>template.not_iso</source>
        <translation>The data is not an ISO/IEC 19794-2 fingerprint template.</translation>
    </message>
    <message>
        <source>template.truncated</source>
        <translation>The fingerprint template is cut short ({length} bytes).</translation>
    </message>
    <message>
        <source>ui.all_passed</source>
        <translation>all checks passed</translation>
    </message>
    <message>
        <source>ui.application_number</source>
        <translation>Application number</translation>
    </message>
    <message>
        <source>ui.approve</source>
        <translation>Approve exceptions</translation>
    </message>
    <message>
        <source>ui.audit_action</source>
        <translation>Action</translation>
    </message>
    <message>
        <source>ui.audit_application</source>
        <translation>Application</translation>
    </message>
    <message>
        <source>ui.audit_detail</source>
        <translation>Detail</translation>
    </message>
    <message>
        <source>ui.audit_log</source>
        <translation>Audit log</translation>
    </message>
    <message>
        <source>ui.audit_officer</source>
        <translation>Officer</translation>
    </message>
    <message>
        <source>ui.audit_time</source>
        <translation>Time</translation>
    </message>
    <message>
        <source>ui.back</source>
        <translation>Back</translation>
    </message>
    <message>
        <source>ui.browse</source>
        <translation>Choose…</translation>
    </message>
    <message>
        <source>ui.calibrate_camera</source>
        <translation>Calibrate camera</translation>
    </message>
    <message>
        <source>ui.calibrate_sensor</source>
        <translation>Check fingerprint sensor</translation>
    </message>
    <message>
        <source>ui.calibration_board</source>
        <translation>Board (inner corners)</translation>
    </message>
    <message>
        <source>ui.calibration_folder</source>
        <translation>Checkerboard views</translation>
    </message>
    <message>
        <source>ui.calibration_ready</source>
        <translation>Profile {id} is ready: save it to apply it to every capture.</translation>
    </message>
    <message>
        <source>ui.calibration_square</source>
        <translation>Square size (mm)</translation>
    </message>
    <message>
        <source>ui.calibration_steps</source>
        <translation>Camera: photograph the checkerboard from 10–20 positions covering the whole picture, put them in one folder and run the camera check. Sensor: keep the window empty, then place a finger when asked.</translation>
    </message>
    <message>
        <source>ui.calibration_title</source>
        <translation>Biostation — calibration</translation>
    </message>
    <message>
        <source>ui.camera</source>
        <translation>Camera</translation>
    </message>
    <message>
        <source>ui.camera_missing</source>
        <translation>No camera: check that it is plugged in and configured (camera_url), then restart the console.</translation>
    </message>
    <message>
        <source>ui.capture_now</source>
        <translation>Capture now</translation>
    </message>
    <message>
        <source>ui.central_down</source>
        <translation>Central record: unreachable (records wait in the outbox)</translation>
    </message>
    <message>
        <source>ui.central_ok</source>
        <translation>Central record: reachable</translation>
    </message>
    <message>
        <source>ui.chain_broken</source>
        <translation>The audit chain is broken at entry {seq}: the log was changed. Report this to security.</translation>
    </message>
    <message>
        <source>ui.chain_ok</source>
        <translation>Audit chain intact.</translation>
    </message>
    <message>
        <source>ui.consent_obtained</source>
        <translation>The applicant has read the notice above and consents</translation>
    </message>
    <message>
        <source>ui.console_title</source>
        <translation>Biostation — officer console</translation>
    </message>
    <message>
        <source>ui.device_connected</source>
        <translation>{kind}: connected</translation>
    </message>
    <message>
        <source>ui.device_emulated</source>
        <translation>{kind}: emulated</translation>
    </message>
    <message>
        <source>ui.device_missing</source>
        <translation>{kind}: missing</translation>
    </message>
    <message>
        <source>ui.display_broken</source>
        <translation>The windows cannot start: Qt could not open the display ({detail}). On Debian/Ubuntu install the missing system libraries (sudo apt install libxcb-cursor0 libxkbcommon-x11-0), or use the headless commands.</translation>
    </message>
    <message>
        <source>ui.face_done</source>
        <translation>Photo taken.</translation>
    </message>
    <message>
        <source>ui.face_timeout</source>
        <translation>No photo met every requirement in time. Keep the best one (a supervisor approves it) or keep trying.</translation>
    </message>
    <message>
        <source>ui.filter_action</source>
        <translation>Action</translation>
    </message>
    <message>
        <source>ui.filter_officer</source>
        <translation>Officer</translation>
    </message>
    <message>
        <source>ui.finger.left-index</source>
        <translation>left index finger</translation>
    </message>
    <message>
        <source>ui.finger.left-little</source>
        <translation>left little finger</translation>
    </message>
    <message>
        <source>ui.finger.left-middle</source>
        <translation>left middle finger</translation>
    </message>
    <message>
        <source>ui.finger.left-ring</source>
        <translation>left ring finger</translation>
    </message>
    <message>
        <source>ui.finger.left-thumb</source>
        <translation>left thumb</translation>
    </message>
    <message>
        <source>ui.finger.right-index</source>
        <translation>right index finger</translation>
    </message>
    <message>
        <source>ui.finger.right-little</source>
        <translation>right little finger</translation>
    </message>
    <message>
        <source>ui.finger.right-middle</source>
        <translation>right middle finger</translation>
    </message>
    <message>
        <source>ui.finger.right-ring</source>
        <translation>right ring finger</translation>
    </message>
    <message>
        <source>ui.finger.right-thumb</source>
        <translation>right thumb</translation>
    </message>
    <message>
        <source>ui.fingers_done</source>
        <translation>All fingers done.</translation>
    </message>
    <message>
        <source>ui.guardian</source>
        <translation>Consenting guardian (for a minor)</translation>
    </message>
    <message>
        <source>ui.keep_best</source>
        <translation>Keep the best photo (exception)</translation>
    </message>
    <message>
        <source>ui.keep_best_print</source>
        <translation>Keep the best print (exception)</translation>
    </message>
    <message>
        <source>ui.kiosk_comment</source>
        <translation>Comment (optional)</translation>
    </message>
    <message>
        <source>ui.kiosk_continue</source>
        <translation>Continue</translation>
    </message>
    <message>
        <source>ui.kiosk_done</source>
        <translation>Finish</translation>
    </message>
    <message>
        <source>ui.kiosk_feedback</source>
        <translation>Rate this service</translation>
    </message>
    <message>
        <source>ui.kiosk_look</source>
        <translation>Look at the camera.</translation>
    </message>
    <message>
        <source>ui.kiosk_next_step</source>
        <translation>Please take a seat; you will be called to the counter.</translation>
    </message>
    <message>
        <source>ui.kiosk_not_found</source>
        <translation>We could not find that registration. Please check the number, or see an officer.</translation>
    </message>
    <message>
        <source>ui.kiosk_rate</source>
        <translation>How was your experience?</translation>
    </message>
    <message>
        <source>ui.kiosk_scan_or_type</source>
        <translation>Show the QR code of your online registration to the camera, or type your application number.</translation>
    </message>
    <message>
        <source>ui.kiosk_see_officer</source>
        <translation>Please see an officer at the counter.</translation>
    </message>
    <message>
        <source>ui.kiosk_thanks</source>
        <translation>Thank you!</translation>
    </message>
    <message>
        <source>ui.kiosk_welcome</source>
        <translation>Welcome</translation>
    </message>
    <message>
        <source>ui.login</source>
        <translation>Log in</translation>
    </message>
    <message>
        <source>ui.mark_exception</source>
        <translation>Finger missing or injured</translation>
    </message>
    <message>
        <source>ui.name</source>
        <translation>Name</translation>
    </message>
    <message>
        <source>ui.needs_approval</source>
        <translation>This record has exceptions: a supervisor must approve before it can be submitted.</translation>
    </message>
    <message>
        <source>ui.next</source>
        <translation>Next</translation>
    </message>
    <message>
        <source>ui.next_applicant</source>
        <translation>Next applicant</translation>
    </message>
    <message>
        <source>ui.no_display</source>
        <translation>No display is available, so the windows cannot open. Run on the station's desktop, or use the headless commands (biostation enroll, verify, outbox), or set QT_QPA_PLATFORM=offscreen for screenshots.</translation>
    </message>
    <message>
        <source>ui.offline_queue</source>
        <translation>The central record cannot be reached: this is the list saved at the last contact.</translation>
    </message>
    <message>
        <source>ui.password</source>
        <translation>Password</translation>
    </message>
    <message>
        <source>ui.quality_format</source>
        <translation>quality %v (needs {minimum})</translation>
    </message>
    <message>
        <source>ui.queue_today</source>
        <translation>Today's appointments</translation>
    </message>
    <message>
        <source>ui.reason_age</source>
        <translation>too young</translation>
    </message>
    <message>
        <source>ui.reason_injured</source>
        <translation>injured</translation>
    </message>
    <message>
        <source>ui.reason_missing</source>
        <translation>missing</translation>
    </message>
    <message>
        <source>ui.reason_quality</source>
        <translation>poor quality</translation>
    </message>
    <message>
        <source>ui.refresh</source>
        <translation>Refresh</translation>
    </message>
    <message>
        <source>ui.review</source>
        <translation>Review</translation>
    </message>
    <message>
        <source>ui.review_application</source>
        <translation>Application {number}: {name}</translation>
    </message>
    <message>
        <source>ui.review_exception</source>
        <translation>{finger}: exception ({reason})</translation>
    </message>
    <message>
        <source>ui.review_face</source>
        <translation>Photo: {state}</translation>
    </message>
    <message>
        <source>ui.review_finger</source>
        <translation>{finger}: quality {quality}</translation>
    </message>
    <message>
        <source>ui.save_profile</source>
        <translation>Save profile</translation>
    </message>
    <message>
        <source>ui.scan_qr</source>
        <translation>Scan QR code</translation>
    </message>
    <message>
        <source>ui.scanner</source>
        <translation>Fingerprint sensor</translation>
    </message>
    <message>
        <source>ui.scanner_missing</source>
        <translation>No fingerprint sensor: check its cable and the scanner_url setting, then restart.</translation>
    </message>
    <message>
        <source>ui.sensor_result</source>
        <translation>Sensor set to {baud} baud, security level {level}.</translation>
    </message>
    <message>
        <source>ui.show_qr</source>
        <translation>Hold the registration's QR code in front of the camera.</translation>
    </message>
    <message>
        <source>ui.start_enrollment</source>
        <translation>Start enrollment</translation>
    </message>
    <message>
        <source>ui.submit</source>
        <translation>Submit record</translation>
    </message>
    <message>
        <source>ui.supervisor</source>
        <translation>Supervisor</translation>
    </message>
    <message>
        <source>verify.liveness_failed</source>
        <translation>The liveness check failed. Please see an officer.</translation>
    </message>
    <message>
        <source>verify.match</source>
        <translation>Identity confirmed.</translation>
    </message>
    <message>
        <source>verify.no_capture</source>
        <translation>No face or fingerprint could be captured. Please see an officer.</translation>
    </message>
    <message>
        <source>verify.no_face</source>
        <translation>No face was found in front of the camera.</translation>
    </message>
    <message>
        <source>verify.no_match</source>
        <translation>The identity could not be confirmed. Please see an officer.</translation>
    </message>
</context>
</TS>
