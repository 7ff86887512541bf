"""The coordinator's screens in a real browser: the map picker, the CSV preview, 360 px and desk widths."""
import pytest

from tests.browser.conftest import PHONE, PageWatch, screenshot, seed

pytestmark = pytest.mark.browser

SIZES = {"phone": PHONE, "desk": {"viewport": {"width": 1280, "height": 900}}}
CSV = ("Họ và tên;Số điện thoại;Chốt\n"
       "Nguyễn Văn An;0911 111 111;C01 C02\n"
       "Trần Thị Mai Hoa;0901234567;C01\n"
       "Lê Văn Cường;0901 23;C01\n"
       ";0944444444;C09\n"
       "Phạm Thị Dung;0955555555;\n")


def _world(make):
    ward = make.ward("BC", name="Phường Bàn Cờ")
    post = make.checkpoint(ward, "C01", name="Chốt hẻm 12", address="Hẻm 12 Nguyễn Thiện Thuật")
    make.checkpoint(ward, "C02", name="Chốt chợ Bàn Cờ")
    mai = make.volunteer(post, phone="0901234567", name="Trần Thị Mai")
    for n, name in enumerate(["Lê Minh Tuấn", "Võ Thị Thu Trang", "Đặng Quốc Bảo"]):
        make.volunteer(post, phone=f"090700000{n}", name=name)
    make.user("coordinator", ward=ward, phone="0911000000", name="Nguyễn Văn Điều")
    return {"mai": mai.id, "post": post.id}


def _overflow(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth - window.innerWidth")


@pytest.fixture
def local_tiles(server):
    """Tiles from our own static files: the test must not reach the internet."""
    server.app.config["MAP_TILE_URL"] = "/static/icons/apple-touch-icon-180.png?z={z}&x={x}&y={y}"
    yield
    server.app.config.pop("MAP_TILE_URL")


@pytest.mark.parametrize("size", SIZES)
def test_the_coordinator_screens_fit_and_run_clean(server, browser, local_tiles, tmp_path, size):
    ids = seed(server, _world)
    context = browser.new_context(locale="vi-VN", **SIZES[size])
    page = context.new_page()
    watch = PageWatch(page)
    page.goto(server.url + "/login")
    page.get_by_label("Số điện thoại").fill("0911000000")
    page.get_by_label("Mật khẩu").fill("password123")
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_load_state("networkidle")
    overflowing = {}
    for name, path in [("checkpoints", "/wards/BC/checkpoints"),
                       ("checkpoint-form", f"/wards/BC/checkpoints/{ids['post']}"), ("people", "/wards/BC/people"),
                       ("person-form", f"/wards/BC/people/{ids['mai']}"), ("import", "/wards/BC/people/import")]:
        page.goto(server.url + path)
        page.wait_for_load_state("networkidle")
        screenshot(page, f"ward-{name}-{size}")
        overflowing[name] = _overflow(page)

    upload = tmp_path / "to-vien.csv"
    upload.write_text(CSV, encoding="utf-8-sig")
    page.get_by_label("Tệp CSV").set_input_files(str(upload))
    page.get_by_role("button", name="Kiểm tra tệp").click()
    page.wait_for_load_state("networkidle")
    screenshot(page, f"ward-import-preview-{size}")
    overflowing["preview"] = _overflow(page)
    assert page.locator("tr.row-error").count() == 2 and page.locator("tr.row-create").count() == 2
    assert overflowing == {name: 0 for name in overflowing}
    assert watch.problems == [] and watch.csp_violations() == []
    context.close()


def test_a_tap_on_the_map_sets_the_position(server, phone, local_tiles):
    page, watch = phone
    seed(server, _world)
    page.goto(server.url + "/login")
    page.get_by_label("Số điện thoại").fill("0911000000")
    page.get_by_label("Mật khẩu").fill("password123")
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_load_state("networkidle")
    page.goto(server.url + "/wards/BC/checkpoints/new")
    page.get_by_label("Mã").fill("C03")
    page.get_by_label("Tên", exact=True).fill("Chốt ngã tư")
    page.locator(".picker-map").click(position={"x": 150, "y": 150})
    latitude = float(page.get_by_label("Vĩ độ").input_value())
    assert 10.6 < latitude < 10.9
    screenshot(page, "ward-checkpoint-new-map-phone")
    page.get_by_role("button", name="Tạo chốt").click()
    page.wait_for_load_state("networkidle")
    assert "Đã tạo chốt C03" in page.locator(".flash-success").inner_text()
    assert watch.problems == [] and watch.csp_violations() == []
