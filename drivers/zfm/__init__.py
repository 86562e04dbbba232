"""The ZhianTec ZFM/R30x fingerprint sensor: its wire protocol, our driver and its emulator."""
