"""The installable app: manifest, icons, service worker, offline page and the user key."""
import json
import re
import shutil
from pathlib import Path

from PIL import Image

from checkpoint.config import ROOT
from checkpoint.pwa.routes import current_shell
from checkpoint.pwa.shell import build_shell

USER_KEY = re.compile(r'<meta name="user-key" content="([0-9a-f]+)">')


def manifest(client) -> dict:
    response = client.get("/manifest.webmanifest")
    assert response.status_code == 200
    return json.loads(response.get_data(as_text=True))


def static_file(url: str) -> Path:
    assert url.startswith("/static/")
    return ROOT / "static" / url.removeprefix("/static/").split("?")[0]


def test_the_manifest_is_served_as_a_web_app_manifest(client):
    assert client.get("/manifest.webmanifest").headers["Content-Type"] == "application/manifest+json"


def test_the_manifest_names_the_app_in_vietnamese_and_opens_standalone(client):
    data = manifest(client)
    assert (data["name"], data["short_name"], data["lang"]) == ("Sổ trực chốt", "Sổ trực", "vi")
    assert (data["start_url"], data["scope"], data["display"]) == ("/", "/", "standalone")
    assert (data["theme_color"], data["background_color"]) == ("#0b4f8a", "#ffffff")
    assert "--primary: #0b4f8a;" in (ROOT / "static/css/app.css").read_text()


def test_the_manifest_icons_exist_in_the_sizes_android_wants_with_a_maskable_one(client):
    icons = manifest(client)["icons"]
    seen = set()
    for icon in icons:
        width, height = (int(n) for n in icon["sizes"].split("x"))
        with Image.open(static_file(icon["src"])) as image:
            assert image.format == "PNG" and image.size == (width, height), icon["src"]
        seen.add((width, icon["purpose"]))
    assert {(192, "any"), (512, "any"), (512, "maskable")} <= seen


def test_the_maskable_icon_fills_its_square_so_the_launcher_can_cut_any_shape(client):
    maskable = next(icon for icon in manifest(client)["icons"] if icon["purpose"] == "maskable")
    with Image.open(static_file(maskable["src"])) as image:
        rgba = image.convert("RGBA")
        corners = [rgba.getpixel(xy) for xy in ((0, 0), (511, 0), (0, 511), (511, 511))]
    assert corners == [(11, 79, 138, 255)] * 4


def test_pages_link_the_manifest_and_an_opaque_180_px_apple_touch_icon(client):
    page = client.get("/login").get_data(as_text=True)
    assert '<link rel="manifest" href="/manifest.webmanifest">' in page
    href = re.search(r'<link rel="apple-touch-icon" href="([^"]+)">', page).group(1)
    with Image.open(static_file(href)) as image:
        assert image.size == (180, 180) and "transparency" not in image.info and image.mode in ("RGB", "P")


def test_the_service_worker_is_served_from_the_root_and_always_revalidated(client):
    response = client.get("/sw.js")
    assert response.status_code == 200
    assert response.mimetype == "text/javascript"
    assert response.headers["Cache-Control"] == "no-cache"
    assert response.headers["Service-Worker-Allowed"] == "/"


def test_the_service_worker_carries_the_shell_version_and_what_to_precache(app, client):
    worker = client.get("/sw.js").get_data(as_text=True)
    assert re.search(r'const VERSION\s*=\s*"([0-9a-f]+)";', worker).group(1) == current_shell().version
    precache = json.loads(re.search(r"const PRECACHE\s*=\s*(\[.*?\]);", worker).group(1))
    kept = {url.split("?v=")[0] for url in precache}
    for url in ("/static/css/app.css", "/static/js/app.js", "/static/js/vendor/htmx-2.0.11.min.js",
                "/static/icons/icon.svg", "/offline?lang=vi", "/offline?lang=en"):
        assert url in kept
    assert not any(".py" in url for url in precache)
    assert "/static/css/board.css" not in kept  # desk screens are never used offline
    # The browser fetches the install icons itself when the app is installed, never offline.
    assert not kept & {"/static/icons/icon-192.png", "/static/icons/apple-touch-icon-180.png"}


STATIC_URL = re.compile(r'(?:href|src)="(/static/[^"]+)"')
# Named for the browser's "add to home screen", fetched by it then, not by the page.
INSTALL_ICON = re.compile(r'<link rel="apple-touch-icon"[^>]*>')


def test_the_worker_keeps_every_file_the_volunteer_screens_use(client, make):
    post = make.checkpoint(make.ward())
    make.volunteer(post, phone="0901234567")
    client.login("0901234567")
    worker = client.get("/sw.js").get_data(as_text=True)
    precache = set(json.loads(re.search(r"const PRECACHE\s*=\s*(\[.*?\]);", worker).group(1)))
    used = set()
    for path in ("/me", f"/checkpoints/{post.id}/observe", f"/checkpoints/{post.id}/log", "/urgent",
                 f"/checkpoints/{post.id}/check-out"):
        page = client.get(path)
        assert page.status_code == 200, path
        used |= set(STATIC_URL.findall(INSTALL_ICON.sub("", page.get_data(as_text=True))))
    assert used and used <= precache


def test_static_urls_carry_a_fingerprint_and_are_cached_for_a_year(client):
    page = client.get("/login").get_data(as_text=True)
    url = re.search(r'href="(/static/css/app\.css\?v=[0-9a-f]{10})"', page).group(1)
    response = client.get(url)
    assert response.status_code == 200
    assert {"public", "immutable", "max-age=31536000"} <= {p.strip() for p in response.headers["Cache-Control"].split(",")}


def test_a_static_file_asked_for_without_or_with_an_old_fingerprint_is_not_cached_for_long(client):
    for url in ("/static/css/app.css", "/static/css/app.css?v=0000000000"):
        assert "immutable" not in client.get(url).headers.get("Cache-Control", "")


def test_the_service_worker_is_the_same_for_everyone(client, make):
    make.volunteer(make.checkpoint(make.ward()), phone="0901234567", locale="en")
    anonymous = client.get("/sw.js").get_data()
    client.login("0901234567")
    assert client.get("/sw.js").get_data() == anonymous


def test_the_shell_version_changes_when_a_precached_file_changes(tmp_path):
    shutil.copytree(ROOT / "static", tmp_path / "static")
    before = build_shell(tmp_path / "static", root=tmp_path)
    assert build_shell(tmp_path / "static", root=tmp_path) == before  # the same files, the same version
    stylesheet = tmp_path / "static/css/app.css"
    stylesheet.write_text(stylesheet.read_text() + "\n.new-rule { color: red; }\n")
    after = build_shell(tmp_path / "static", root=tmp_path)
    assert after.version != before.version
    assert after.static_files == before.static_files


def test_a_new_file_in_the_shell_is_precached_and_changes_the_version(tmp_path):
    shutil.copytree(ROOT / "static", tmp_path / "static")
    before = build_shell(tmp_path / "static", root=tmp_path)
    (tmp_path / "static/js/new.js").write_text("// new\n")
    after = build_shell(tmp_path / "static", root=tmp_path)
    assert "js/new.js" in after.static_files and after.version != before.version


def test_the_offline_page_and_the_worker_itself_are_part_of_the_version(tmp_path):
    static = tmp_path / "static"
    static.mkdir()
    (static / "app.css").write_text("body {}")
    (tmp_path / "templates/pwa").mkdir(parents=True)
    offline = tmp_path / "templates/pwa/offline.html"
    offline.write_text("<p>No connection</p>")
    before = build_shell(static, root=tmp_path)
    offline.write_text("<p>No connection. Try again.</p>")
    assert build_shell(static, root=tmp_path).version != before.version


def test_a_salt_forces_a_new_version():
    assert build_shell(ROOT / "static", salt="deploy-2").version != build_shell(ROOT / "static").version


def test_the_offline_page_needs_no_login(client):
    response = client.get("/offline")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert '<body class="offline-page">' in page and 'lang="vi"' in page


def test_the_offline_page_comes_in_each_language(client):
    assert 'lang="en"' in client.get("/offline?lang=en").get_data(as_text=True)
    assert "No connection" in client.get("/offline?lang=en").get_data(as_text=True)
    assert 'lang="vi"' in client.get("/offline?lang=vi").get_data(as_text=True)


def test_the_offline_page_holds_nothing_of_the_person_who_fetched_it(client, make):
    make.volunteer(make.checkpoint(make.ward()), phone="0901234567", name="Trần Thị Mai")
    client.login("0901234567")
    page = client.get("/offline?lang=vi").get_data(as_text=True)
    assert "Trần Thị Mai" not in page
    assert "user-key" not in page and "csrf" not in page.lower()
    assert "<script" not in page and "style=" not in page


def test_logged_in_pages_carry_a_user_key_that_differs_between_people(app, make):
    post = make.checkpoint(make.ward())
    mai = make.volunteer(post, phone="0901234567")
    make.volunteer(post, phone="0901234568")
    keys = []
    for phone in ("0901234567", "0901234568"):
        client = app.test_client()
        client.login(phone)
        keys.append(USER_KEY.search(client.get("/me").get_data(as_text=True)).group(1))
    assert keys[0] != keys[1]
    assert str(mai.id) != keys[0] and len(keys[0]) == 32


def test_the_user_key_is_the_same_on_every_page_of_one_person(client, make):
    post = make.checkpoint(make.ward())
    make.volunteer(post, phone="0901234567")
    client.login("0901234567")
    on_home = USER_KEY.search(client.get("/me").get_data(as_text=True)).group(1)
    on_log = USER_KEY.search(client.get(f"/checkpoints/{post.id}/log").get_data(as_text=True)).group(1)
    assert on_home == on_log


def test_anonymous_pages_carry_no_user_key(client):
    assert "user-key" not in client.get("/login").get_data(as_text=True)


def test_the_user_key_depends_on_the_secret_key(app, make):
    make.volunteer(make.checkpoint(make.ward()), phone="0901234567")
    client = app.test_client()
    client.login("0901234567")
    first = USER_KEY.search(client.get("/me").get_data(as_text=True)).group(1)
    app.config["SECRET_KEY"] = "another-secret-key"
    client = app.test_client()
    client.login("0901234567")
    assert USER_KEY.search(client.get("/me").get_data(as_text=True)).group(1) != first


def test_the_install_hint_and_the_saved_copy_notice_are_hidden_until_javascript_shows_them(client, make):
    make.volunteer(make.checkpoint(make.ward()), phone="0901234567")
    client.login("0901234567")
    page = client.get("/me").get_data(as_text=True)
    assert re.search(r'<p class="flash install-hint" id="install-hint" hidden>', page)
    assert re.search(r'<p class="notice stored-copy" id="stored-copy" role="status" hidden>', page)


def test_logout_clears_the_http_cache_but_not_the_storage_the_outbox_will_use(client, make):
    make.volunteer(make.checkpoint(make.ward()), phone="0901234567")
    client.login("0901234567")
    assert client.logout().headers["Clear-Site-Data"] == '"cache"'
