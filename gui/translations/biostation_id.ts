<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="id">
<context>
    <name>biostation</name>
    <message>
        <source>application.unknown</source>
        <translation>Tidak ada permohonan bernomor {number}.</translation>
    </message>
    <message>
        <source>application.unknown_offline</source>
        <translation>Permohonan {number} tidak ada di cache stasiun ini dan rekaman pusat tidak dapat dihubungi.</translation>
    </message>
    <message>
        <source>auth.bad_credentials</source>
        <translation>Nama atau kata sandi salah.</translation>
    </message>
    <message>
        <source>auth.bad_name</source>
        <translation>Nama akun boleh berisi huruf, angka, spasi, titik, tanda hubung, dan garis bawah (paling banyak 64).</translation>
    </message>
    <message>
        <source>auth.bad_role</source>
        <translation>'{role}' bukan peran; peran yang ada: {known}.</translation>
    </message>
    <message>
        <source>auth.exists</source>
        <translation>Akun bernama '{name}' sudah ada.</translation>
    </message>
    <message>
        <source>auth.locked</source>
        <translation>Terlalu banyak kata sandi salah: akun dikunci selama {minutes} menit.</translation>
    </message>
    <message>
        <source>auth.weak_password</source>
        <translation>Kata sandi harus paling sedikit {length} karakter.</translation>
    </message>
    <message>
        <source>bench.running</source>
        <translation>Mengukur kecepatan pada mesin ini (sekitar setengah menit)...</translation>
    </message>
    <message>
        <source>calibration.bad_board</source>
        <translation>'{board}' bukan ukuran papan; tuliskan sudut dalam sebagai KOLOMxBARIS, mis. 9x6.</translation>
    </message>
    <message>
        <source>calibration.bad_square</source>
        <translation>Ukuran kotak harus berupa milimeter positif (didapat {value}).</translation>
    </message>
    <message>
        <source>calibration.board_not_found</source>
        <translation>Papan {board} tidak ditemukan di satu pun dari {count} gambar. Pastikan seluruh papan terlihat, tajam, dan terang merata.</translation>
    </message>
    <message>
        <source>calibration.cover_more</source>
        <translation>Tidak ada gambar yang meliputi: {regions}. Tambahkan gambar dengan papan di bagian-bagian itu.</translation>
    </message>
    <message>
        <source>calibration.edge_angle</source>
        <translation>Tepi miring {angle}°; miringkan antara 2 dan 10° dari vertikal.</translation>
    </message>
    <message>
        <source>calibration.lift_finger</source>
        <translation>Angkat jari dari sensor dulu: pemeriksaan bingkai kosong memerlukan jendela yang kosong.</translation>
    </message>
    <message>
        <source>calibration.mixed_sizes</source>
        <translation>Ukuran gambar berbeda-beda ({sizes}). Ambil semua gambar dengan kamera yang sama pada satu resolusi.</translation>
    </message>
    <message>
        <source>calibration.no_colour_chart</source>
        <translation>ColorChecker 24 warna tidak ditemukan. Isi sekitar sepertiga gambar dengan bagan, terang merata, tanpa pantulan.</translation>
    </message>
    <message>
        <source>calibration.no_edge</source>
        <translation>Tidak ada tepi yang jelas pada target ketajaman. Foto tepi gelap/terang yang sedikit miring dari vertikal.</translation>
    </message>
    <message>
        <source>calibration.no_images</source>
        <translation>Folder '{folder}' tidak berisi gambar. Foto papan dari 10–20 posisi lalu coba lagi.</translation>
    </message>
    <message>
        <source>calibration.profile_saved</source>
        <translation>Profil {id} disimpan untuk kamera {device}; setiap pengambilan gambar dari kamera ini kini memakai profil ini.</translation>
    </message>
    <message>
        <source>calibration.sensor_steps</source>
        <translation>Pemeriksaan sensor: biarkan jendela kosong, lalu letakkan jari setiap kali diminta.</translation>
    </message>
    <message>
        <source>calibration.too_few_views</source>
        <translation>Hanya {found} gambar yang menampilkan seluruh papan; diperlukan {needed}. Ambil {more} lagi, dimiringkan ke berbagai arah, meliputi: {regions}.</translation>
    </message>
    <message>
        <source>calibration.unreadable</source>
        <translation>Gambar '{path}' tidak dapat dibaca.</translation>
    </message>
    <message>
        <source>calibration.wrong_board</source>
        <translation>Papan {board} tidak ditemukan, tetapi gambar tampak seperti papan {seen}. Jalankan lagi dengan --board {seen}.</translation>
    </message>
    <message>
        <source>camera.disconnected</source>
        <translation>Kamera '{url}' berhenti mengirim gambar. Periksa kabelnya.</translation>
    </message>
    <message>
        <source>camera.no_file</source>
        <translation>Berkas atau folder '{path}' untuk kamera '{url}' tidak ada.</translation>
    </message>
    <message>
        <source>camera.no_frame</source>
        <translation>Kamera '{url}' tidak mengirim gambar selama {seconds} detik. Periksa kabelnya, lalu nyalakan ulang.</translation>
    </message>
    <message>
        <source>camera.no_images</source>
        <translation>Folder '{folder}' tidak berisi gambar untuk diputar sebagai kamera.</translation>
    </message>
    <message>
        <source>camera.not_found</source>
        <translation>Kamera tidak ditemukan di '{url}'. Sambungkan kamera, atau pilih kamera lain di pengaturan.</translation>
    </message>
    <message>
        <source>camera.unreadable_video</source>
        <translation>Video '{path}' tidak dapat diputar.</translation>
    </message>
    <message>
        <source>central.bad_appointment</source>
        <translation>'{value}' bukan tanggal dan waktu ISO (mis. 2026-11-27T09:30+07:00).</translation>
    </message>
    <message>
        <source>central.bad_birth_date</source>
        <translation>'{value}' bukan tanggal lahir yang sah (YYYY-MM-DD, tidak di masa depan).</translation>
    </message>
    <message>
        <source>central.bad_comment</source>
        <translation>Komentar terlalu panjang (paling banyak 2000 karakter).</translation>
    </message>
    <message>
        <source>central.bad_db_url</source>
        <translation>'{url}' bukan alamat basis data (mis. sqlite:///central.db atau postgresql://user@host/db).</translation>
    </message>
    <message>
        <source>central.bad_json</source>
        <translation>Permintaan bukan objek JSON yang sah.</translation>
    </message>
    <message>
        <source>central.bad_name</source>
        <translation>Kolom {field} hanya boleh berisi huruf, spasi, apostrof, tanda hubung, dan titik (paling banyak 100).</translation>
    </message>
    <message>
        <source>central.bad_query</source>
        <translation>Tanggal atau zona waktu dalam permintaan tidak sah.</translation>
    </message>
    <message>
        <source>central.bad_service</source>
        <translation>'{value}' bukan layanan kantor ini ({known}).</translation>
    </message>
    <message>
        <source>central.bad_stars</source>
        <translation>Silakan pilih 1 sampai 5 bintang.</translation>
    </message>
    <message>
        <source>central.bad_station_key</source>
        <translation>Kunci publik stasiun bukan kunci Ed25519 yang sah.</translation>
    </message>
    <message>
        <source>central.bad_station_name</source>
        <translation>Stasiun memerlukan nama paling banyak 100 karakter.</translation>
    </message>
    <message>
        <source>central.bad_token</source>
        <translation>Token pendaftaran tidak dikenal atau sudah dipakai. Minta token baru.</translation>
    </message>
    <message>
        <source>central.busy</source>
        <translation>Rekaman pusat sedang sibuk. Coba lagi sebentar lagi.</translation>
    </message>
    <message>
        <source>central.db_unreachable</source>
        <translation>Basis data '{url}' tidak dapat dibuka atau dihubungi.</translation>
    </message>
    <message>
        <source>central.emulated_in_production</source>
        <translation>Rekaman pusat ini berjalan dalam mode produksi dan menolak rekaman dari perangkat emulasi.</translation>
    </message>
    <message>
        <source>central.naive_time</source>
        <translation>Waktu '{value}' tidak memiliki zona waktu.</translation>
    </message>
    <message>
        <source>central.no_application</source>
        <translation>Tidak ada permohonan bernomor {number}.</translation>
    </message>
    <message>
        <source>central.no_packet</source>
        <translation>Rekaman pusat tidak memiliki paket {packet}.</translation>
    </message>
    <message>
        <source>central.not_enrolled</source>
        <translation>Permohonan {number} belum memiliki rekaman biometrik.</translation>
    </message>
    <message>
        <source>central.not_utf8</source>
        <translation>Permintaan bukan teks UTF-8 yang sah.</translation>
    </message>
    <message>
        <source>central.packet_bad_signature</source>
        <translation>Tanda tangan paket rekaman tidak cocok dengan stasiun pengirim. Paket tidak disimpan.</translation>
    </message>
    <message>
        <source>central.packet_conflict</source>
        <translation>Rekaman lain sudah diterima dengan id paket {packet}. Paket tidak disimpan; hubungi dukungan teknis.</translation>
    </message>
    <message>
        <source>central.packet_malformed</source>
        <translation>Paket rekaman rusak atau bukan paket rekaman ({reason}). Paket tidak disimpan.</translation>
    </message>
    <message>
        <source>central.packet_mismatch</source>
        <translation>Isi paket rekaman tidak sesuai dengan labelnya. Paket tidak disimpan.</translation>
    </message>
    <message>
        <source>central.packet_undecryptable</source>
        <translation>Paket rekaman tidak dapat dibuka: diubah di perjalanan atau disegel untuk rekaman pusat lain. Paket tidak disimpan.</translation>
    </message>
    <message>
        <source>central.refused</source>
        <translation>Rekaman pusat menolak permintaan (HTTP {status}): {reason}</translation>
    </message>
    <message>
        <source>central.request_bad_signature</source>
        <translation>Tanda tangan permintaan tidak sah untuk stasiun ini.</translation>
    </message>
    <message>
        <source>central.request_stale</source>
        <translation>Jam stasiun meleset lebih dari lima menit. Perbaiki tanggal dan jam stasiun.</translation>
    </message>
    <message>
        <source>central.server_error</source>
        <translation>Rekaman pusat di {url} mengalami masalah (HTTP {status}). Rekaman menunggu dengan aman di kotak keluar.</translation>
    </message>
    <message>
        <source>central.serving</source>
        <translation>Rekaman pusat mendengarkan di {url}.</translation>
    </message>
    <message>
        <source>central.station_unknown</source>
        <translation>Stasiun '{station}' belum terdaftar di rekaman pusat ini. Daftarkan dulu dengan token sekali pakai.</translation>
    </message>
    <message>
        <source>central.token_once</source>
        <translation>Token pendaftaran sekali pakai (berlaku untuk satu stasiun):</translation>
    </message>
    <message>
        <source>central.too_large</source>
        <translation>Permintaan lebih besar dari yang diterima rekaman pusat.</translation>
    </message>
    <message>
        <source>central.unreachable</source>
        <translation>Rekaman pusat di {url} tidak dapat dihubungi. Rekaman menunggu dengan aman di kotak keluar.</translation>
    </message>
    <message>
        <source>central.wrong_content_type</source>
        <translation>Jenis konten salah; seharusnya {expected}.</translation>
    </message>
    <message>
        <source>cli.console_not_built</source>
        <translation>Konsol petugas belum termasuk dalam versi ini. Sementara itu gunakan 'biostation devices check' dan 'biostation capture finger'.</translation>
    </message>
    <message>
        <source>cli.fingers_or_synthetic</source>
        <translation>Berikan --fingers DIR atau --synthetic N (salah satu).</translation>
    </message>
    <message>
        <source>cli.no_file</source>
        <translation>Berkas '{path}' tidak ada.</translation>
    </message>
    <message>
        <source>cli.no_folder</source>
        <translation>Folder '{folder}' tidak ada.</translation>
    </message>
    <message>
        <source>cli.positive_counts</source>
        <translation>Jumlah jari dan jumlah cetakan harus minimal 1.</translation>
    </message>
    <message>
        <source>cli.unknown_finger</source>
        <translation>'{finger}' bukan nama jari, misalnya right-thumb, left-index.</translation>
    </message>
    <message>
        <source>consent.text</source>
        <translation>Foto wajah dan sidik jari Anda dikumpulkan untuk memproses permohonan dokumen perjalanan Anda (UU 27/2022 tentang Pelindungan Data Pribadi). Data dikirim terenkripsi ke rekaman pusat kantor imigrasi dan dihapus dari stasiun ini setelah diterima. Anda dapat meminta kantor untuk melihat atau memperbaiki data Anda.</translation>
    </message>
    <message>
        <source>device.bad_images</source>
        <translation>Folder '{folder}' tidak berisi gambar yang dapat dibaca stasiun ini ({suffixes}).</translation>
    </message>
    <message>
        <source>device.bad_parameter</source>
        <translation>Pada '{url}', {name}={value} bukan pengaturan yang sah.</translation>
    </message>
    <message>
        <source>device.busy</source>
        <translation>Perangkat di '{url}' sedang dipakai program lain. Tutup program itu lalu coba lagi.</translation>
    </message>
    <message>
        <source>device.cancelled</source>
        <translation>Pengambilan dibatalkan.</translation>
    </message>
    <message>
        <source>device.error</source>
        <translation>Perangkat melaporkan masalah.</translation>
    </message>
    <message>
        <source>device.garbled</source>
        <translation>Sensor sidik jari mengirim jawaban yang rusak (kabel longgar atau gangguan?). Coba lagi; jika terus terjadi, sambungkan ulang sensor.</translation>
    </message>
    <message>
        <source>device.no_image_folder</source>
        <translation>Folder gambar '{folder}' tidak ada atau tidak dapat dibuka.</translation>
    </message>
    <message>
        <source>device.not_found</source>
        <translation>Tidak ada perangkat yang menjawab di '{url}'. Periksa apakah perangkat tersambung dan alamatnya benar.</translation>
    </message>
    <message>
        <source>device.timeout</source>
        <translation>Perangkat tidak menjawab tepat waktu. Coba lagi.</translation>
    </message>
    <message>
        <source>device.unknown_finger</source>
        <translation>Tidak ada jari '{finger}' di '{folder}'.</translation>
    </message>
    <message>
        <source>device.unknown_scheme</source>
        <translation>'{url}' bukan alamat perangkat yang dikenal stasiun ini. Jenis yang dikenal: {known}</translation>
    </message>
    <message>
        <source>device.unreadable_image</source>
        <translation>Gambar '{path}' tidak dapat dibaca: hilang, rusak, atau bukan gambar.</translation>
    </message>
    <message>
        <source>emulator.commands</source>
        <translation>Perintah: place JARI [CETAKAN], lift, quit.</translation>
    </message>
    <message>
        <source>emulator.lifted</source>
        <translation>Jari diangkat.</translation>
    </message>
    <message>
        <source>emulator.not_fingerprint</source>
        <translation>Peringatan: '{path}' tidak tampak seperti sidik jari; sensor akan menolaknya.</translation>
    </message>
    <message>
        <source>emulator.placed</source>
        <translation>Jari {finger} diletakkan pada sensor.</translation>
    </message>
    <message>
        <source>emulator.ready</source>
        <translation>Emulator sensor ZFM siap di {link} ({fingers} jari, {images} gambar). Ketik 'place JARI CETAKAN', 'lift' atau 'quit'.</translation>
    </message>
    <message>
        <source>enroll.application</source>
        <translation>Permohonan {number}: {name}.</translation>
    </message>
    <message>
        <source>enroll.face_best_kept</source>
        <translation>Foto terbaik disimpan dengan pengecualian kualitas untuk supervisor.</translation>
    </message>
    <message>
        <source>enroll.face_timeout</source>
        <translation>Tidak ada foto yang memenuhi semua syarat dalam {seconds} detik (gagal: {checks}). Persetujuan supervisor (BIOSTATION_SUPERVISOR) diperlukan untuk menyimpan foto terbaik.</translation>
    </message>
    <message>
        <source>enroll.finger_exhausted</source>
        <translation>Jari {finger} tidak pernah mencapai kualitas yang diperlukan; persetujuan supervisor (BIOSTATION_SUPERVISOR) diperlukan untuk melanjutkan.</translation>
    </message>
    <message>
        <source>enroll.in_outbox</source>
        <translation>Rekaman aman di kotak keluar (paket {packet}).</translation>
    </message>
    <message>
        <source>enroll.liveness_failed</source>
        <translation>Pemeriksaan keaktifan gagal: minta pemohon menghadap kamera dan mengikuti petunjuk, lalu coba lagi.</translation>
    </message>
    <message>
        <source>enroll.needs_supervisor</source>
        <translation>Perekaman ini memiliki pengecualian yang memerlukan persetujuan supervisor (BIOSTATION_SUPERVISOR dan BIOSTATION_SUPERVISOR_PASSWORD).</translation>
    </message>
    <message>
        <source>enroll.no_consent</source>
        <translation>Perekaman memerlukan persetujuan: tambahkan --consent setelah pemohon setuju.</translation>
    </message>
    <message>
        <source>enroll.no_password</source>
        <translation>Isi BIOSTATION_PASSWORD dengan kata sandi petugas.</translation>
    </message>
    <message>
        <source>face.bad_dtype</source>
        <translation>Nilai piksel foto bertipe yang tidak dapat dipakai ({dtype}).</translation>
    </message>
    <message>
        <source>face.bad_shape</source>
        <translation>Foto memiliki bentuk yang tidak terduga {shape}.</translation>
    </message>
    <message>
        <source>face.bad_size</source>
        <translation>Foto berukuran {width}×{height} piksel: terlalu kecil atau terlalu besar.</translation>
    </message>
    <message>
        <source>face.empty_image</source>
        <translation>Foto kosong.</translation>
    </message>
    <message>
        <source>face.unreadable</source>
        <translation>Foto '{path}' tidak dapat dibaca: hilang, rusak, atau bukan gambar.</translation>
    </message>
    <message>
        <source>face_record.bad_length</source>
        <translation>Kolom panjang rekaman wajah tidak sesuai dengan ukurannya.</translation>
    </message>
    <message>
        <source>face_record.not_a_record</source>
        <translation>Ini bukan rekaman wajah ISO/IEC 19794-5.</translation>
    </message>
    <message>
        <source>face_record.unsupported</source>
        <translation>Rekaman wajah bukan JPEG tampak depan dengan posisi mata.</translation>
    </message>
    <message>
        <source>finger.accepted</source>
        <translation>Jari {finger} selesai (kualitas {quality}).</translation>
    </message>
    <message>
        <source>finger.again</source>
        <translation>Bagus. Angkat jari {finger} lalu letakkan lagi.</translation>
    </message>
    <message>
        <source>finger.exhausted</source>
        <translation>Jari {finger} tidak mencapai kualitas yang diperlukan setelah semua percobaan. Simpan sidik terbaik dengan pengecualian, atau tandai jari hilang atau cedera.</translation>
    </message>
    <message>
        <source>finger.inconsistent</source>
        <translation>Dua sidik jari {finger} tidak cocok. Letakkan jari yang sama lagi, rata dan diam.</translation>
    </message>
    <message>
        <source>finger.poor_quality</source>
        <translation>Sidik jari {finger} kurang jelas (kualitas {quality}, perlu {minimum}). Bersihkan sensor, tekan rata, lalu coba lagi.</translation>
    </message>
    <message>
        <source>finger.same_as_other</source>
        <translation>Sidik jari itu sama dengan {other} yang sudah direkam. Letakkan jari {finger}.</translation>
    </message>
    <message>
        <source>fingerprint.bad_dpi</source>
        <translation>Resolusi {dpi} dpi tidak masuk akal untuk gambar sidik jari.</translation>
    </message>
    <message>
        <source>fingerprint.bad_dtype</source>
        <translation>Nilai piksel gambar sidik jari bertipe yang tidak dapat dipakai ({dtype}).</translation>
    </message>
    <message>
        <source>fingerprint.bad_shape</source>
        <translation>Gambar sidik jari memiliki bentuk yang tidak terduga {shape}.</translation>
    </message>
    <message>
        <source>fingerprint.bad_size</source>
        <translation>Gambar sidik jari berukuran {width}×{height} piksel: terlalu kecil atau terlalu besar untuk memuat sidik jari.</translation>
    </message>
    <message>
        <source>fingerprint.empty_image</source>
        <translation>Gambar sidik jari kosong.</translation>
    </message>
    <message>
        <source>fingerprint.no_finger_area</source>
        <translation>Tidak ada jari yang terlihat pada gambar. Letakkan jari rata di tengah sensor.</translation>
    </message>
    <message>
        <source>fingerprint.not_a_fingerprint</source>
        <translation>Gambar ini tidak tampak seperti sidik jari. Bersihkan sensor lalu letakkan jari lagi.</translation>
    </message>
    <message>
        <source>flow.fingers_pending</source>
        <translation>Jari {finger} belum direkam atau dikecualikan.</translation>
    </message>
    <message>
        <source>flow.guardian_needed</source>
        <translation>Pemohon masih di bawah umur: catat nama wali yang memberi persetujuan.</translation>
    </message>
    <message>
        <source>flow.no_consent</source>
        <translation>Perekaman memerlukan persetujuan pemohon. Tanpa itu tidak ada yang direkam.</translation>
    </message>
    <message>
        <source>flow.no_face</source>
        <translation>Tidak ada wajah yang terekam.</translation>
    </message>
    <message>
        <source>flow.not_allowed</source>
        <translation>Peran Anda ({role}) tidak boleh merekam pemohon.</translation>
    </message>
    <message>
        <source>flow.not_supervisor</source>
        <translation>{name} bukan supervisor dan tidak dapat menyetujui pengecualian.</translation>
    </message>
    <message>
        <source>flow.wrong_step</source>
        <translation>Itu tidak dapat dilakukan sekarang (langkah saat ini: {step}).</translation>
    </message>
    <message>
        <source>icao.background</source>
        <translation>Latar belakang polos</translation>
    </message>
    <message>
        <source>icao.centred</source>
        <translation>Wajah di tengah</translation>
    </message>
    <message>
        <source>icao.clipping</source>
        <translation>Piksel terlalu terang atau terlalu gelap</translation>
    </message>
    <message>
        <source>icao.do.close_mouth</source>
        <translation>Tutup mulut; pertahankan ekspresi netral.</translation>
    </message>
    <message>
        <source>icao.do.even_light</source>
        <translation>Cahaya di wajah Anda tidak merata.</translation>
    </message>
    <message>
        <source>icao.do.hold_still</source>
        <translation>Tetap diam.</translation>
    </message>
    <message>
        <source>icao.do.less_light</source>
        <translation>Foto terlalu terang: kurangi cahaya.</translation>
    </message>
    <message>
        <source>icao.do.lower_chin</source>
        <translation>Turunkan dagu sedikit.</translation>
    </message>
    <message>
        <source>icao.do.more_light</source>
        <translation>Foto terlalu gelap: tambahkan cahaya.</translation>
    </message>
    <message>
        <source>icao.do.move_closer</source>
        <translation>Mendekatlah sedikit ke kamera.</translation>
    </message>
    <message>
        <source>icao.do.move_left</source>
        <translation>Geser sedikit ke kiri Anda.</translation>
    </message>
    <message>
        <source>icao.do.move_right</source>
        <translation>Geser sedikit ke kanan Anda.</translation>
    </message>
    <message>
        <source>icao.do.no_face</source>
        <translation>Lihat ke kamera.</translation>
    </message>
    <message>
        <source>icao.do.one_person</source>
        <translation>Hanya pemohon yang boleh ada di foto.</translation>
    </message>
    <message>
        <source>icao.do.open_eyes</source>
        <translation>Buka mata dan lihat ke kamera.</translation>
    </message>
    <message>
        <source>icao.do.plain_background</source>
        <translation>Berdirilah di depan latar belakang polos.</translation>
    </message>
    <message>
        <source>icao.do.raise_chin</source>
        <translation>Angkat dagu sedikit.</translation>
    </message>
    <message>
        <source>icao.do.straighten_head</source>
        <translation>Tegakkan kepala Anda.</translation>
    </message>
    <message>
        <source>icao.do.turn_left</source>
        <translation>Putar kepala sedikit ke kiri Anda.</translation>
    </message>
    <message>
        <source>icao.do.turn_right</source>
        <translation>Putar kepala sedikit ke kanan Anda.</translation>
    </message>
    <message>
        <source>icao.exposure</source>
        <translation>Pencahayaan</translation>
    </message>
    <message>
        <source>icao.eye_distance</source>
        <translation>Jarak antara kedua mata</translation>
    </message>
    <message>
        <source>icao.eyes_open</source>
        <translation>Mata terbuka</translation>
    </message>
    <message>
        <source>icao.illumination</source>
        <translation>Cahaya merata di wajah</translation>
    </message>
    <message>
        <source>icao.mouth_closed</source>
        <translation>Mulut tertutup, ekspresi netral</translation>
    </message>
    <message>
        <source>icao.one_face</source>
        <translation>Tepat satu wajah</translation>
    </message>
    <message>
        <source>icao.pitch</source>
        <translation>Kepala menengadah/menunduk</translation>
    </message>
    <message>
        <source>icao.roll</source>
        <translation>Kepala miring</translation>
    </message>
    <message>
        <source>icao.sharpness</source>
        <translation>Ketajaman</translation>
    </message>
    <message>
        <source>icao.yaw</source>
        <translation>Kepala menoleh ke kiri/kanan</translation>
    </message>
    <message>
        <source>liveness.do.blink</source>
        <translation>Kedipkan mata Anda.</translation>
    </message>
    <message>
        <source>liveness.do.turn_left</source>
        <translation>Putar kepala ke kiri Anda.</translation>
    </message>
    <message>
        <source>liveness.do.turn_right</source>
        <translation>Putar kepala ke kanan Anda.</translation>
    </message>
    <message>
        <source>liveness.frozen</source>
        <translation>Gambar tidak bergerak. Orang yang hadir langsung harus berdiri di depan kamera.</translation>
    </message>
    <message>
        <source>liveness.timeout</source>
        <translation>Pemeriksaan terlalu lama. Silakan coba lagi, atau temui petugas.</translation>
    </message>
    <message>
        <source>officer.added</source>
        <translation>Akun '{name}' ({role}) ditambahkan.</translation>
    </message>
    <message>
        <source>officer.password_stdin</source>
        <translation>Berikan kata sandi melalui input standar dengan --password-stdin.</translation>
    </message>
    <message>
        <source>outbox.counts</source>
        <translation>Kotak keluar: {pending} menunggu, {delivered} terkirim, {failed} gagal.</translation>
    </message>
    <message>
        <source>outbox.flushed</source>
        <translation>Terkirim {delivered}, ditolak {refused}, masih menunggu {pending}.</translation>
    </message>
    <message>
        <source>outbox.no_packet</source>
        <translation>Kotak keluar tidak memiliki paket {packet}.</translation>
    </message>
    <message>
        <source>outbox.unreachable</source>
        <translation>Rekaman pusat tidak dapat dihubungi; {pending} rekaman menunggu di kotak keluar.</translation>
    </message>
    <message>
        <source>policy.bad_fingers</source>
        <translation>Daftar jari '{fingers}' kosong atau mengulang jari.</translation>
    </message>
    <message>
        <source>policy.unknown_finger</source>
        <translation>'{fingers}' menyebut jari yang tidak dikenal; yang dikenal: {known}.</translation>
    </message>
    <message>
        <source>policy.unknown_keys</source>
        <translation>Pengaturan [policy] berisi kunci yang tidak dikenal: {keys}.</translation>
    </message>
    <message>
        <source>sensor.disconnected</source>
        <translation>Sensor sidik jari di '{url}' terputus. Sambungkan kembali.</translation>
    </message>
    <message>
        <source>sensor.fingers_differ</source>
        <translation>Dua kali peletakan itu bukan jari yang sama. Ulangi dengan satu jari.</translation>
    </message>
    <message>
        <source>sensor.no_answer</source>
        <translation>Sensor sidik jari di '{url}' tidak menjawab. Periksa kabel dan dayanya, lalu coba lagi.</translation>
    </message>
    <message>
        <source>sensor.no_finger</source>
        <translation>Tidak ada jari yang diletakkan dalam {seconds} detik.</translation>
    </message>
    <message>
        <source>sensor.no_port</source>
        <translation>'{url}' tidak menyebut port serial, misalnya zfm:/dev/ttyUSB0.</translation>
    </message>
    <message>
        <source>sensor.place_finger</source>
        <translation>Letakkan jari {finger} pada sensor.</translation>
    </message>
    <message>
        <source>sensor.wrong_address</source>
        <translation>Sensor sidik jari di '{url}' memiliki alamat yang berbeda dari pengaturan.</translation>
    </message>
    <message>
        <source>sensor.wrong_password</source>
        <translation>Sensor sidik jari di '{url}' menolak kata sandi. Periksa pengaturan sensor stasiun.</translation>
    </message>
    <message>
        <source>settings.bad_language</source>
        <translation>Bahasa '{value}' tidak tersedia; pilih 'id' atau 'en'.</translation>
    </message>
    <message>
        <source>settings.bad_value</source>
        <translation>Pada '{path}', pengaturan '{key}' harus berupa teks.</translation>
    </message>
    <message>
        <source>settings.unknown_keys</source>
        <translation>Berkas pengaturan stasiun '{path}' berisi pengaturan yang tidak dikenal: {keys}</translation>
    </message>
    <message>
        <source>settings.unreadable</source>
        <translation>Berkas pengaturan stasiun '{path}' tidak dapat dibaca: {reason}</translation>
    </message>
    <message>
        <source>station.not_registered</source>
        <translation>Stasiun ini belum terdaftar. Jalankan: biostation station register --central URL --token TOKEN</translation>
    </message>
    <message>
        <source>station.other_central</source>
        <translation>Stasiun ini terdaftar di {registered}, bukan {url}.</translation>
    </message>
    <message>
        <source>station.registered</source>
        <translation>Stasiun {station} ({name}) terdaftar di {central}.</translation>
    </message>
    <message>
        <source>storage.corrupt</source>
        <translation>Data tersimpan '{what}' tidak dapat dibaca: rusak atau telah diubah. Data disisihkan; hubungi dukungan teknis.</translation>
    </message>
    <message>
        <source>synth.done</source>
        <translation>{count} gambar sidik jari sintetis ditulis ke {folder}.</translation>
    </message>
    <message>
        <source>template.bad_extension</source>
        <translation>Templat sidik jari rusak (data tambahan, {reason}).</translation>
    </message>
    <message>
        <source>template.bad_length</source>
        <translation>Templat sidik jari menyatakan panjang {declared} bita tetapi berisi {actual}.</translation>
    </message>
    <message>
        <source>template.bad_minutia</source>
        <translation>Templat sidik jari rusak (minusi {index}).</translation>
    </message>
    <message>
        <source>template.no_views</source>
        <translation>Templat sidik jari tidak berisi jari.</translation>
    </message>
    <message>
        <source>template.not_iso</source>
        <translation>Data ini bukan templat sidik jari ISO/IEC 19794-2.</translation>
    </message>
    <message>
        <source>template.truncated</source>
        <translation>Templat sidik jari terpotong ({length} bita).</translation>
    </message>
    <message>
        <source>ui.all_passed</source>
        <translation>semua pemeriksaan lulus</translation>
    </message>
    <message>
        <source>ui.application_number</source>
        <translation>Nomor permohonan</translation>
    </message>
    <message>
        <source>ui.approve</source>
        <translation>Setujui pengecualian</translation>
    </message>
    <message>
        <source>ui.audit_action</source>
        <translation>Tindakan</translation>
    </message>
    <message>
        <source>ui.audit_application</source>
        <translation>Permohonan</translation>
    </message>
    <message>
        <source>ui.audit_detail</source>
        <translation>Rincian</translation>
    </message>
    <message>
        <source>ui.audit_log</source>
        <translation>Log audit</translation>
    </message>
    <message>
        <source>ui.audit_officer</source>
        <translation>Petugas</translation>
    </message>
    <message>
        <source>ui.audit_time</source>
        <translation>Waktu</translation>
    </message>
    <message>
        <source>ui.back</source>
        <translation>Kembali</translation>
    </message>
    <message>
        <source>ui.browse</source>
        <translation>Pilih…</translation>
    </message>
    <message>
        <source>ui.calibrate_camera</source>
        <translation>Kalibrasi kamera</translation>
    </message>
    <message>
        <source>ui.calibrate_sensor</source>
        <translation>Periksa sensor sidik jari</translation>
    </message>
    <message>
        <source>ui.calibration_board</source>
        <translation>Papan (sudut dalam)</translation>
    </message>
    <message>
        <source>ui.calibration_folder</source>
        <translation>Gambar papan catur</translation>
    </message>
    <message>
        <source>ui.calibration_ready</source>
        <translation>Profil {id} siap: simpan untuk menerapkannya pada setiap pengambilan gambar.</translation>
    </message>
    <message>
        <source>ui.calibration_square</source>
        <translation>Ukuran kotak (mm)</translation>
    </message>
    <message>
        <source>ui.calibration_steps</source>
        <translation>Kamera: foto papan catur dari 10–20 posisi yang meliputi seluruh gambar, simpan dalam satu folder lalu jalankan pemeriksaan kamera. Sensor: biarkan jendela kosong, lalu letakkan jari saat diminta.</translation>
    </message>
    <message>
        <source>ui.calibration_title</source>
        <translation>Biostation — kalibrasi</translation>
    </message>
    <message>
        <source>ui.camera</source>
        <translation>Kamera</translation>
    </message>
    <message>
        <source>ui.camera_missing</source>
        <translation>Tidak ada kamera: periksa sambungan dan pengaturannya (camera_url), lalu mulai ulang konsol.</translation>
    </message>
    <message>
        <source>ui.capture_now</source>
        <translation>Ambil sekarang</translation>
    </message>
    <message>
        <source>ui.central_down</source>
        <translation>Rekaman pusat: tidak terhubung (rekaman menunggu di kotak keluar)</translation>
    </message>
    <message>
        <source>ui.central_ok</source>
        <translation>Rekaman pusat: terhubung</translation>
    </message>
    <message>
        <source>ui.chain_broken</source>
        <translation>Rantai audit rusak pada entri {seq}: log telah diubah. Laporkan ke bagian keamanan.</translation>
    </message>
    <message>
        <source>ui.chain_ok</source>
        <translation>Rantai audit utuh.</translation>
    </message>
    <message>
        <source>ui.consent_obtained</source>
        <translation>Pemohon telah membaca pemberitahuan di atas dan menyetujui</translation>
    </message>
    <message>
        <source>ui.console_title</source>
        <translation>Biostation — konsol petugas</translation>
    </message>
    <message>
        <source>ui.device_connected</source>
        <translation>{kind}: terhubung</translation>
    </message>
    <message>
        <source>ui.device_emulated</source>
        <translation>{kind}: emulasi</translation>
    </message>
    <message>
        <source>ui.device_missing</source>
        <translation>{kind}: tidak ada</translation>
    </message>
    <message>
        <source>ui.display_broken</source>
        <translation>Jendela tidak dapat dimulai: Qt tidak dapat membuka layar ({detail}). Di Debian/Ubuntu pasang pustaka sistem yang kurang (sudo apt install libxcb-cursor0 libxkbcommon-x11-0), atau gunakan perintah tanpa layar.</translation>
    </message>
    <message>
        <source>ui.face_done</source>
        <translation>Foto diambil.</translation>
    </message>
    <message>
        <source>ui.face_timeout</source>
        <translation>Tidak ada foto yang memenuhi semua syarat tepat waktu. Simpan yang terbaik (disetujui supervisor) atau terus coba.</translation>
    </message>
    <message>
        <source>ui.filter_action</source>
        <translation>Tindakan</translation>
    </message>
    <message>
        <source>ui.filter_officer</source>
        <translation>Petugas</translation>
    </message>
    <message>
        <source>ui.finger.left-index</source>
        <translation>telunjuk kiri</translation>
    </message>
    <message>
        <source>ui.finger.left-little</source>
        <translation>kelingking kiri</translation>
    </message>
    <message>
        <source>ui.finger.left-middle</source>
        <translation>jari tengah kiri</translation>
    </message>
    <message>
        <source>ui.finger.left-ring</source>
        <translation>jari manis kiri</translation>
    </message>
    <message>
        <source>ui.finger.left-thumb</source>
        <translation>ibu jari kiri</translation>
    </message>
    <message>
        <source>ui.finger.right-index</source>
        <translation>telunjuk kanan</translation>
    </message>
    <message>
        <source>ui.finger.right-little</source>
        <translation>kelingking kanan</translation>
    </message>
    <message>
        <source>ui.finger.right-middle</source>
        <translation>jari tengah kanan</translation>
    </message>
    <message>
        <source>ui.finger.right-ring</source>
        <translation>jari manis kanan</translation>
    </message>
    <message>
        <source>ui.finger.right-thumb</source>
        <translation>ibu jari kanan</translation>
    </message>
    <message>
        <source>ui.fingers_done</source>
        <translation>Semua jari selesai.</translation>
    </message>
    <message>
        <source>ui.guardian</source>
        <translation>Wali yang menyetujui (untuk anak)</translation>
    </message>
    <message>
        <source>ui.keep_best</source>
        <translation>Simpan foto terbaik (pengecualian)</translation>
    </message>
    <message>
        <source>ui.keep_best_print</source>
        <translation>Simpan sidik terbaik (pengecualian)</translation>
    </message>
    <message>
        <source>ui.kiosk_comment</source>
        <translation>Komentar (tidak wajib)</translation>
    </message>
    <message>
        <source>ui.kiosk_continue</source>
        <translation>Lanjutkan</translation>
    </message>
    <message>
        <source>ui.kiosk_done</source>
        <translation>Selesai</translation>
    </message>
    <message>
        <source>ui.kiosk_feedback</source>
        <translation>Beri nilai layanan ini</translation>
    </message>
    <message>
        <source>ui.kiosk_look</source>
        <translation>Lihat ke kamera.</translation>
    </message>
    <message>
        <source>ui.kiosk_next_step</source>
        <translation>Silakan duduk; Anda akan dipanggil ke loket.</translation>
    </message>
    <message>
        <source>ui.kiosk_not_found</source>
        <translation>Pendaftaran itu tidak ditemukan. Periksa nomornya, atau temui petugas.</translation>
    </message>
    <message>
        <source>ui.kiosk_rate</source>
        <translation>Bagaimana pengalaman Anda?</translation>
    </message>
    <message>
        <source>ui.kiosk_scan_or_type</source>
        <translation>Tunjukkan kode QR pendaftaran daring Anda ke kamera, atau ketik nomor permohonan Anda.</translation>
    </message>
    <message>
        <source>ui.kiosk_see_officer</source>
        <translation>Silakan temui petugas di loket.</translation>
    </message>
    <message>
        <source>ui.kiosk_thanks</source>
        <translation>Terima kasih!</translation>
    </message>
    <message>
        <source>ui.kiosk_welcome</source>
        <translation>Selamat datang</translation>
    </message>
    <message>
        <source>ui.login</source>
        <translation>Masuk</translation>
    </message>
    <message>
        <source>ui.mark_exception</source>
        <translation>Jari hilang atau cedera</translation>
    </message>
    <message>
        <source>ui.name</source>
        <translation>Nama</translation>
    </message>
    <message>
        <source>ui.needs_approval</source>
        <translation>Rekaman ini memiliki pengecualian: supervisor harus menyetujui sebelum dapat dikirim.</translation>
    </message>
    <message>
        <source>ui.next</source>
        <translation>Lanjut</translation>
    </message>
    <message>
        <source>ui.next_applicant</source>
        <translation>Pemohon berikutnya</translation>
    </message>
    <message>
        <source>ui.no_display</source>
        <translation>Tidak ada layar, sehingga jendela tidak dapat dibuka. Jalankan di desktop stasiun, atau gunakan perintah tanpa layar (biostation enroll, verify, outbox), atau atur QT_QPA_PLATFORM=offscreen untuk tangkapan layar.</translation>
    </message>
    <message>
        <source>ui.offline_queue</source>
        <translation>Rekaman pusat tidak dapat dihubungi: ini daftar yang tersimpan pada kontak terakhir.</translation>
    </message>
    <message>
        <source>ui.password</source>
        <translation>Kata sandi</translation>
    </message>
    <message>
        <source>ui.quality_format</source>
        <translation>kualitas %v (perlu {minimum})</translation>
    </message>
    <message>
        <source>ui.queue_today</source>
        <translation>Janji temu hari ini</translation>
    </message>
    <message>
        <source>ui.reason_age</source>
        <translation>terlalu muda</translation>
    </message>
    <message>
        <source>ui.reason_injured</source>
        <translation>cedera</translation>
    </message>
    <message>
        <source>ui.reason_missing</source>
        <translation>hilang</translation>
    </message>
    <message>
        <source>ui.reason_quality</source>
        <translation>kualitas buruk</translation>
    </message>
    <message>
        <source>ui.refresh</source>
        <translation>Muat ulang</translation>
    </message>
    <message>
        <source>ui.review</source>
        <translation>Tinjau</translation>
    </message>
    <message>
        <source>ui.review_application</source>
        <translation>Permohonan {number}: {name}</translation>
    </message>
    <message>
        <source>ui.review_exception</source>
        <translation>{finger}: pengecualian ({reason})</translation>
    </message>
    <message>
        <source>ui.review_face</source>
        <translation>Foto: {state}</translation>
    </message>
    <message>
        <source>ui.review_finger</source>
        <translation>{finger}: kualitas {quality}</translation>
    </message>
    <message>
        <source>ui.save_profile</source>
        <translation>Simpan profil</translation>
    </message>
    <message>
        <source>ui.scan_qr</source>
        <translation>Pindai kode QR</translation>
    </message>
    <message>
        <source>ui.scanner</source>
        <translation>Sensor sidik jari</translation>
    </message>
    <message>
        <source>ui.scanner_missing</source>
        <translation>Tidak ada sensor sidik jari: periksa kabel dan pengaturan scanner_url, lalu mulai ulang.</translation>
    </message>
    <message>
        <source>ui.sensor_result</source>
        <translation>Sensor diatur ke {baud} baud, tingkat keamanan {level}.</translation>
    </message>
    <message>
        <source>ui.show_qr</source>
        <translation>Arahkan kode QR pendaftaran ke kamera.</translation>
    </message>
    <message>
        <source>ui.start_enrollment</source>
        <translation>Mulai perekaman</translation>
    </message>
    <message>
        <source>ui.submit</source>
        <translation>Kirim rekaman</translation>
    </message>
    <message>
        <source>ui.supervisor</source>
        <translation>Supervisor</translation>
    </message>
    <message>
        <source>verify.liveness_failed</source>
        <translation>Pemeriksaan keaktifan gagal. Silakan temui petugas.</translation>
    </message>
    <message>
        <source>verify.match</source>
        <translation>Identitas terkonfirmasi.</translation>
    </message>
    <message>
        <source>verify.no_capture</source>
        <translation>Wajah atau sidik jari tidak dapat direkam. Silakan temui petugas.</translation>
    </message>
    <message>
        <source>verify.no_face</source>
        <translation>Tidak ada wajah di depan kamera.</translation>
    </message>
    <message>
        <source>verify.no_match</source>
        <translation>Identitas tidak dapat dikonfirmasi. Silakan temui petugas.</translation>
    </message>
</context>
</TS>
