"""Photo rules: every upload becomes a small, upright JPEG with no metadata, or is refused."""
import io
import time
import zlib

import pytest
from PIL import ExifTags, Image, ImageFile

from checkpoint.rules import RuleViolation
from checkpoint.rules.photos import MAX_SIDE, MAX_UPLOAD_BYTES, clean_photo

GPS_IFD = 0x8825


def jpeg_bytes(image: Image.Image, **params) -> bytes:
    out = io.BytesIO()
    image.save(out, "JPEG", **params)
    return out.getvalue()


def png_bytes(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def noisy(size, mode="RGB") -> Image.Image:
    """Noise compresses badly, so cutting its JPEG in half really cuts the picture data."""
    return Image.effect_noise(size, 64).convert(mode)


def phone_photo() -> bytes:
    """A 4000×3000 landscape-stored JPEG that a phone held upright marks with orientation 6."""
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = 6
    exif[ExifTags.Base.Make] = "PhoneMaker"
    exif[ExifTags.Base.Model] = "Phone 12"
    gps = exif.get_ifd(GPS_IFD)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (10.0, 46.0, 30.0)
    gps[ExifTags.GPS.GPSLongitudeRef] = "E"
    gps[ExifTags.GPS.GPSLongitude] = (106.0, 41.0, 50.0)
    image = Image.new("RGB", (4000, 3000), "navy")
    image.paste("red", (0, 0, 400, 300))  # a marker in the stored top-left corner
    icc = b"\0" * 128  # opaque bytes are enough to see whether an ICC profile is carried over
    return jpeg_bytes(image, exif=exif.tobytes(), icc_profile=icc, comment=b"GPS 10.775 106.697")


def refusal(raw: bytes) -> RuleViolation:
    with pytest.raises(RuleViolation) as refused:
        clean_photo(raw)
    return refused.value


@pytest.fixture(scope="module")
def cleaned_phone_photo():
    raw = phone_photo()
    assert b"GPS" in raw and b"Exif" in raw  # the input really carries what must be removed
    return clean_photo(raw)


def test_a_big_photo_is_shrunk_to_the_long_side_limit(cleaned_phone_photo):
    assert max(cleaned_phone_photo.width, cleaned_phone_photo.height) == MAX_SIDE


def test_the_exif_orientation_is_applied_so_portraits_stay_upright(cleaned_phone_photo):
    assert (cleaned_phone_photo.width, cleaned_phone_photo.height) == (1200, 1600)


def test_the_rotation_goes_the_right_way(cleaned_phone_photo):
    # Orientation 6 means "rotate 90° clockwise to view": the stored top-left lands top-right.
    image = Image.open(io.BytesIO(cleaned_phone_photo.data)).convert("RGB")
    red, navy = (255, 0, 0), (0, 0, 128)
    top_right, top_left = image.getpixel((image.width - 10, 10)), image.getpixel((10, 10))
    assert _close(top_right, red) and _close(top_left, navy)


def test_the_output_is_a_jpeg_of_the_stated_size(cleaned_phone_photo):
    image = Image.open(io.BytesIO(cleaned_phone_photo.data))
    assert (image.format, image.mode, image.size) == (
        "JPEG", "RGB", (cleaned_phone_photo.width, cleaned_phone_photo.height))


def test_no_exif_survives(cleaned_phone_photo):
    assert len(Image.open(io.BytesIO(cleaned_phone_photo.data)).getexif()) == 0


def test_no_metadata_is_left_in_the_image_info(cleaned_phone_photo):
    info = Image.open(io.BytesIO(cleaned_phone_photo.data)).info
    assert not {"exif", "icc_profile", "comment", "xmp"} & set(info)


def test_no_exif_or_gps_bytes_remain_anywhere_in_the_file(cleaned_phone_photo):
    data = cleaned_phone_photo.data
    assert b"Exif" not in data and b"GPS" not in data and b"ICC_PROFILE" not in data


def test_a_png_with_transparency_becomes_a_jpeg_flattened_on_white():
    image = Image.new("RGBA", (300, 200), (0, 0, 0, 0))
    image.paste((0, 128, 0, 255), (0, 0, 100, 100))
    cleaned = Image.open(io.BytesIO(clean_photo(png_bytes(image)).data))
    assert cleaned.format == "JPEG" and _close(cleaned.getpixel((250, 150)), (255, 255, 255))


def test_a_small_photo_is_not_enlarged():
    cleaned = clean_photo(jpeg_bytes(noisy((640, 480))))
    assert (cleaned.width, cleaned.height) == (640, 480)


def test_a_16_bit_greyscale_png_keeps_its_greys():
    raw = png_bytes(Image.new("I;16", (64, 64), 40_000))
    grey = Image.open(io.BytesIO(clean_photo(raw).data)).getpixel((32, 32))
    assert _close(grey, (156, 156, 156), tolerance=4)


@pytest.mark.parametrize("fmt", ["WEBP", "GIF"])
def test_webp_and_gif_are_accepted(fmt):
    out = io.BytesIO()
    Image.new("RGB", (120, 80), "orange").save(out, fmt)
    assert clean_photo(out.getvalue()).width == 120


def test_a_multi_picture_jpeg_from_a_phone_is_accepted():
    out = io.BytesIO()
    Image.new("RGB", (200, 100), "teal").save(out, "MPO", save_all=True,
                                              append_images=[Image.new("RGB", (200, 100), "gray")])
    assert clean_photo(out.getvalue()).width == 200


def test_an_empty_file_is_refused():
    assert refusal(b"").code == "empty_photo"


def test_a_file_over_the_upload_limit_is_refused_without_decoding():
    # A real JPEG header: the size alone must decide, whatever follows.
    raw = jpeg_bytes(Image.new("RGB", (10, 10))) + b"\0" * MAX_UPLOAD_BYTES
    assert refusal(raw[: 11 * 1024 * 1024]).code == "photo_too_large"


def test_the_size_refusal_names_the_limit_in_megabytes():
    # Outside an app Flask-Babel falls back to the English message id.
    assert "10 MB" in str(refusal(b"\xff" * (MAX_UPLOAD_BYTES + 1)).message)


def test_every_refusal_points_at_the_photo_field():
    assert refusal(b"hello").field == "photo"


@pytest.mark.parametrize("raw", [
    pytest.param(b"Meeting notes, not a picture.\n" * 20, id="text renamed .jpg"),
    pytest.param(b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
                 b"<script>alert(document.cookie)</script><rect width='10' height='10'/></svg>", id="svg"),
    pytest.param(b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n", id="pdf"),
    pytest.param(b"<html><body><img src=x onerror=alert(1)></body></html>", id="html"),
])
def test_files_that_are_not_images_are_refused(raw):
    assert refusal(raw).code == "not_an_image"


def test_a_truncated_jpeg_is_refused():
    raw = jpeg_bytes(noisy((800, 600)))
    assert refusal(raw[: len(raw) // 2]).code == "not_an_image"


def test_a_truncated_jpeg_cannot_slip_through_if_someone_turns_on_lenient_loading(monkeypatch):
    monkeypatch.setattr(ImageFile, "LOAD_TRUNCATED_IMAGES", True)
    with pytest.raises(RuntimeError):
        clean_photo(jpeg_bytes(noisy((80, 60))))


def test_an_image_format_we_do_not_accept_is_refused_even_if_pillow_reads_it():
    out = io.BytesIO()
    Image.new("RGB", (50, 50), "blue").save(out, "BMP")
    assert refusal(out.getvalue()).code == "not_an_image"


@pytest.fixture(scope="module")
def bomb() -> bytes:
    """50 megapixels of one colour: a few kilobytes on disk, 150 MB once decoded to RGB."""
    raw = png_bytes(Image.new("1", (8000, 6250)))
    assert len(raw) < MAX_UPLOAD_BYTES
    return raw


def test_a_decompression_bomb_is_refused(bomb):
    assert refusal(bomb).code == "photo_too_many_pixels"


def test_a_decompression_bomb_is_refused_before_decoding(bomb):
    started = time.perf_counter()
    refusal(bomb)
    assert time.perf_counter() - started < 0.5


def test_a_huge_size_in_the_header_is_refused_as_too_many_pixels():
    # 200 000 × 200 000 declared in a 1 × 1 PNG (CRC fixed, so the header is valid): far past
    # Pillow's own limit, which must surface as our refusal, not as its exception.
    raw = bytearray(png_bytes(Image.new("L", (1, 1))))
    raw[16:24] = (200_000).to_bytes(4, "big") * 2
    raw[29:33] = zlib.crc32(bytes(raw[12:29])).to_bytes(4, "big")
    assert refusal(bytes(raw)).code == "photo_too_many_pixels"


def _gif() -> bytes:
    out = io.BytesIO()
    Image.new("P", (16, 16), 1).save(out, "GIF")
    return out.getvalue()


@pytest.mark.parametrize("raw", [
    pytest.param(_gif() + b"\n*/alert(document.cookie);//", id="script after a real gif"),
    pytest.param(b"GIF89a/*\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00,\x00\x00\x00\x00"
                 b"\x01\x00\x01\x00\x00\x02\x02D\x01\x00;*/=alert(document.cookie);//", id="gif-javascript"),
])
def test_a_polyglot_is_refused_or_redrawn_without_its_script(raw):
    try:
        cleaned = clean_photo(raw)
    except RuleViolation as refused:
        assert refused.code == "not_an_image"
    else:
        assert cleaned.data[:3] == b"\xff\xd8\xff" and b"alert" not in cleaned.data


def _close(pixel, expected, tolerance=40) -> bool:
    """JPEG shifts colours a little; a rotation error would swap them entirely."""
    return all(abs(a - b) <= tolerance for a, b in zip(pixel, expected))
