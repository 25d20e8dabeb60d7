#!/usr/bin/env bash
# A contract's pages as images and its stamps placed on them, by curl:
# the held version rendered page by page (PNG of the page's size at
# 108 dpi, checked with ImageMagick's identify), the page count and sizes
# on the contract's page; only the owner places stamps, before the first
# signature; a box is kept whole inside its page; another organisation's
# pages are 404; a PDF poppler cannot open shows the download instead.
# (The click itself: browser_sign.)
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/helpers.bash"

kc_init
kc_serve
login owner owner@kyso.vn "$PW_owner"
login a a@kyso.vn "$PW_a"
login x x@other.vn "$PW_x"

# Two pages: A4 portrait, then A4 landscape.
gs -q -dNOPAUSE -dBATCH -sDEVICE=pdfwrite -o "$W/two.pdf" \
  -c "<< /PageSize [595 842] >> setpagedevice /Helvetica findfont 20 scalefont setfont 72 700 moveto (Trang mot) show showpage" \
  -c "<< /PageSize [842 595] >> setpagedevice /Helvetica findfont 20 scalefont setfont 72 500 moveto (Trang hai) show showpage" \
  >/dev/null 2>&1
create owner "Hai trang" "$W/two.pdf" $'a@kyso.vn\nb@kyso.vn' 1
D=$DOC
[ -n "$D" ] || fail "not created: $(body)"

note "the contract's page lists both pages with their sizes, and the stamp boxes"
as owner "$URL/documents/$D"; expect 200
assert_contains "$(body)" 'data-page="1" data-w="595" data-h="842"'
assert_contains "$(body)" 'data-page="2" data-w="842" data-h="595"'
assert_contains "$(body)" "src=\"/documents/$D/page/2?v=$(sha256sum "$W/two.pdf" | cut -c1-16)\"" "the version in the image address"
assert_contains "$(body)" 'data-place="1"'
assert_contains "$(body)" 'data-pos="2" data-page="1" data-box="50,50,200,60"'
as a "$URL/documents/$D"; expect 200
assert_contains "$(body)" 'data-page="2" data-w="842"' "the signer reads the pages too"
assert_not_contains "$(body)" 'data-place="1"' "a signer does not place stamps"

note "each page is a PNG of its size"
as a "$URL/documents/$D/page/1"; expect 200
assert_contains "$(tr -d '\r' <"$W/hdr")" "Content-Type: image/png"
assert_eq "$(identify -format '%w %h' "$W/body")" "893 1263"
as a "$URL/documents/$D/page/2"; expect 200
assert_eq "$(identify -format '%w %h' "$W/body")" "1263 893"
ls "$KYSO_HOME/contract/render/" | grep -q -- '-2.png$' || fail "page 2 not cached"
as a "$URL/documents/$D/page/3"; expect 404
as a "$URL/documents/$D/page/0"; expect 404
as a "$URL/documents/$D/page/x"; expect 404
as x "$URL/documents/$D/page/1"; expect 404

note "the owner places B's stamp on page 2; the box stays inside the page"
T=$(token owner)
as owner "$URL/documents/$D/stamp" -d "csrf=$T" -d pos=2 -d page=2 -d x=600 -d y=500
expect 200
assert_eq "$(jq -r .box "$W/body")" "600,500,200,60"
assert_eq "$(sql "SELECT page||' '||x||' '||y||' '||w||' '||h FROM signers WHERE doc_id='$D' AND pos=2")" "2 600 500 200 60"
as owner "$URL/documents/$D/stamp" -d "csrf=$T" -d pos=2 -d page=2 -d x=800 -d y=590
expect 200
assert_eq "$(jq -r .box "$W/body")" "642,535,200,60" "clamped into the 842x595 page"
assert_eq "$(sql "SELECT count(*) FROM audit WHERE doc_id='$D' AND action='stamp-placed'")" "2"
as owner "$URL/documents/$D/stamp" -d "csrf=$T" -d pos=2 -d page=3 -d x=1 -d y=1; expect 400
as owner "$URL/documents/$D/stamp" -d "csrf=$T" -d pos=9 -d page=1 -d x=1 -d y=1; expect 400
as owner "$URL/documents/$D/stamp" -d "csrf=$T" -d pos=1 -d page=1 -d x=-1 -d y=1; expect 400
as owner "$URL/documents/$D/stamp" -d "csrf=bad" -d pos=1 -d page=1 -d x=1 -d y=1; expect 403

note "a signer or another organisation cannot move a stamp"
as a "$URL/documents/$D/stamp" -d "csrf=$(token a)" -d pos=1 -d page=1 -d x=1 -d y=1; expect 409
as x "$URL/documents/$D/stamp" -d "csrf=$(token x)" -d pos=1 -d page=1 -d x=1 -d y=1; expect 404

note "after the first signature (or a rejection) the stamps stay"
as a "$URL/documents/$D/reject" -d "csrf=$(token a)" --data-urlencode "reason=Sai trang"; expect 303
as owner "$URL/documents/$D/stamp" -d "csrf=$T" -d pos=2 -d page=1 -d x=1 -d y=1; expect 409
as owner "$URL/documents/$D"; expect 200
assert_not_contains "$(body)" 'data-place="1"'

note "pages that cannot be shown (a broken render cache): the page says to download the PDF"
create owner "Mot trang" "$W/two.pdf" "a@kyso.vn"
H=$(sql "SELECT sha256 FROM documents WHERE id='$DOC'")
mkdir -p "$KYSO_HOME/contract/render"
: >"$KYSO_HOME/contract/render/$H.info"   # a cache the server cannot read
as owner "$URL/documents/$DOC"; expect 200
assert_contains "$(body)" 'class="error"'
as owner "$URL/documents/$DOC/page/1"; expect 200   # the page itself still renders
pass
