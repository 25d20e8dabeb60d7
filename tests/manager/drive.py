#!/usr/bin/env python3
"""Drives a GTK 4 application through the accessibility tree (AT-SPI,
pyatspi, the library dogtail is built on) for the desktop tests: one
command a call, each retried until its timeout so that the test never
sleeps for a fixed time. Widgets are found by their accessible names
(the contract's names: English with LANG=C, Vietnamese with vi_VN).

  drive.py [--app NAME] [--timeout S] COMMAND ARGS...
    wait NAME [ROLE]        a widget named NAME (and of ROLE) is showing
    gone NAME [ROLE]        no widget named NAME is showing any more
    click NAME              presses the button (or toggle, radio) NAME
    type NAME TEXT          sets the text of the entry NAME (TEXT '-': a line of stdin)
    text NAME               prints the text of the widget NAME
    wait-text SUBSTR        some widget's name or text contains SUBSTR
    select PREFIX           selects the list row whose name starts with PREFIX
    names                   prints every showing name (role<TAB>name), for debugging
    dump                    the whole tree with roles, interfaces and actions

Exit status 0 on success, 1 with a message naming what was not found
(and the names that were showing) otherwise."""
import argparse
import os
import signal
import sys
import time

import pyatspi




def apps(name):
    desk = pyatspi.Registry.getDesktop(0)
    out = []
    for i in range(desk.childCount):
        try:
            a = desk.getChildAtIndex(i)
        except Exception:
            continue
        if a is not None and (name is None or a.name == name):
            out.append(a)
    return out


def walk(acc, depth=0):
    """Every showing accessible below acc (itself included)."""
    if acc is None or depth > 60:
        return
    try:
        st = acc.getState()
        role = acc.getRole()
    except Exception:
        return
    # GTK 4.8 marks only the toplevels SHOWING; a widget GTK hides is
    # not in the tree at all.
    if role == pyatspi.ROLE_FRAME or role == pyatspi.ROLE_DIALOG:
        if not st.contains(pyatspi.STATE_SHOWING):
            return
    yield acc
    try:
        n = acc.childCount
    except Exception:
        return
    for i in range(n):
        try:
            c = acc.getChildAtIndex(i)
        except Exception:
            continue
        yield from walk(c, depth + 1)


def every(app):
    """Every widget of app, the newest window's first: a dialog's
    "Accept" before the one on a page of the window under it (GTK 4.8
    also lists the stack pages not shown)."""
    for a in apps(app):
        yield a
        try:
            tops = [a.getChildAtIndex(i) for i in range(a.childCount)]
        except Exception:
            continue
        for top in reversed(tops):
            yield from walk(top)


def text_of(acc):
    try:
        t = acc.queryText()
        return t.getText(0, t.characterCount)
    except NotImplementedError:
        return ""
    except Exception:
        return ""


def labels_of(acc):
    """The names of the widgets that label acc (LABELLED_BY): GTK 4.8
    does not make them the entry's accessible name itself."""
    out = []
    try:
        for rel in acc.getRelationSet():
            if rel.getRelationType() == pyatspi.RELATION_LABELLED_BY:
                for i in range(rel.getNTargets()):
                    t = rel.getTarget(i)
                    out.append(t.name or text_of(t))
    except Exception:
        pass
    return out


def named(acc, name):
    return acc.name == name or name in labels_of(acc)


def role_ok(acc, role):
    return role is None or acc.getRoleName() == role


def editable(acc):
    try:
        acc.queryEditableText()
        return True
    except Exception:
        return False


def find(app, name, role=None, want=None):
    for acc in every(app):
        try:
            if named(acc, name) and role_ok(acc, role) and (want is None or want(acc)):
                return acc
        except Exception:
            continue
    return None


def names(app):
    out = []
    for acc in every(app):
        try:
            if acc.name:
                out.append("%s\t%s" % (acc.getRoleName(), acc.name))
        except Exception:
            pass
    return out


def retry(timeout, fn):
    end = time.monotonic() + timeout
    while True:
        r = fn()
        if r is not None and r is not False:
            return r
        if time.monotonic() > end:
            return None
        time.sleep(0.2)


def do_action(acc, wanted):
    act = acc.queryAction()
    for i in range(act.nActions):
        if act.getName(i) in wanted:
            return act.doAction(i)
    return False


PRESS = ("click", "activate", "press", "toggle", "select")


def pressable(acc):
    """A control with a press action (not a label's clipboard actions)."""
    if acc.getRoleName() == "label":
        return False
    try:
        act = acc.queryAction()
    except NotImplementedError:
        return False
    return any(act.getName(i) in PRESS for i in range(act.nActions))


def mouse_click(acc):
    """A click of the first mouse button in the middle of acc: for the
    controls GTK 4.8 gives no action (check boxes, radio groups). The
    windows sit at the screen's origin (no window manager under Xvfb), so
    window coordinates are screen ones."""
    try:
        e = acc.queryComponent().getExtents(pyatspi.WINDOW_COORDS)
    except Exception:
        return False
    if e.width <= 0 or e.height <= 0:
        return False
    pyatspi.Registry.generateMouseEvent(e.x + e.width // 2, e.y + e.height // 2, pyatspi.MOUSE_B1C)
    return True


def activate(acc):
    """Presses a button, or selects a list row (its own action, else
    through its list's Selection), or clicks a check box with the mouse."""
    if pressable(acc) and do_action(acc, PRESS):
        return True
    if acc.getRoleName() in ("check box", "radio button"):
        return mouse_click(acc)
    try:
        return acc.parent.querySelection().selectChild(acc.getIndexInParent())
    except Exception:
        return False


def die(msg, app):
    """Fails the step; unless the application is hung (app None), with
    the names it shows."""
    showing = "" if app is None else "\n  showing: " + ("; ".join(names(app)) or "(nothing)")
    sys.stderr.write("drive.py: %s%s\n" % (msg, showing))
    os._exit(1)


def dump(acc, ind=0):
    try:
        ifs = pyatspi.utils.listInterfaces(acc)
        acts = []
        if "Action" in ifs:
            a = acc.queryAction()
            acts = [a.getName(i) for i in range(a.nActions)]
        st = acc.getState()
        flags = [s for s, v in (("showing", pyatspi.STATE_SHOWING), ("focused", pyatspi.STATE_FOCUSED),
                                ("selected", pyatspi.STATE_SELECTED), ("checked", pyatspi.STATE_CHECKED),
                                ("sensitive", pyatspi.STATE_SENSITIVE),
                                ("visible", pyatspi.STATE_VISIBLE), ("modal", pyatspi.STATE_MODAL)) if st.contains(v)]
        lab = labels_of(acc)
        print("%s%s %r%s %s %s %s" % (" " * ind, acc.getRoleName(), acc.name,
                                      " labelled-by %r" % lab if lab else "", ",".join(flags),
                                    ",".join(acts), repr(text_of(acc)[:60]) if "Text" in ifs else ""))
        for i in range(acc.childCount):
            dump(acc.getChildAtIndex(i), ind + 2)
    except Exception as e:
        print("%s<%s>" % (" " * ind, e))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--app", default="kyso-manager")
    p.add_argument("--timeout", type=float, default=20)
    p.add_argument("cmd")
    p.add_argument("args", nargs="*")
    o = p.parse_args()
    app, t, a = o.app, o.timeout, o.args
    # An application that stops answering on the accessibility bus (its
    # main loop blocked) fails the step instead of hanging the test.
    signal.signal(signal.SIGALRM, lambda *_: die("%s %s: no answer from %s on the accessibility bus after %gs"
                                                 % (o.cmd, " ".join(a), app, t + 20), None))
    signal.alarm(int(t) + 20)

    if o.cmd == "wait":
        if retry(t, lambda: find(app, a[0], a[1] if len(a) > 1 else None)) is None:
            die("no %r showing after %gs" % (a[0], t), app)
    elif o.cmd == "gone":
        if retry(t, lambda: find(app, a[0], a[1] if len(a) > 1 else None) is None) is None:
            die("%r still showing after %gs" % (a[0], t), app)
    elif o.cmd == "click":
        def press():
            acc = find(app, a[0], want=lambda x: pressable(x) or x.getRoleName() in ("check box", "radio button"))
            if acc is None:
                # A list row (a GtkStackSidebar's page) named only by the
                # label inside it.
                lab = find(app, a[0], want=lambda x: x.parent.getRoleName() == "list item")
                acc = lab.parent if lab is not None else None
            if acc is None or not acc.getState().contains(pyatspi.STATE_SENSITIVE):
                return None
            return activate(acc) or None
        if retry(t, press) is None:
            die("no sensitive button %r to click after %gs" % (a[0], t), app)
    elif o.cmd == "type":
        value = sys.stdin.readline().rstrip("\n") if a[1] == "-" else a[1]

        def put():
            acc = find(app, a[0], want=editable)
            if acc is None:
                return None
            return acc.queryEditableText().setTextContents(value) or None
        if retry(t, put) is None:
            die("no entry %r to type into after %gs" % (a[0], t), app)
    elif o.cmd == "text":
        acc = retry(t, lambda: find(app, a[0], want=editable) or find(app, a[0]))
        if acc is None:
            die("no %r showing after %gs" % (a[0], t), app)
        print(text_of(acc))
    elif o.cmd == "wait-text":
        def seen():
            for acc in every(app):
                try:
                    if a[0] in (acc.name or "") or a[0] in text_of(acc):
                        return (acc.name or "") + "|" + text_of(acc)
                except Exception:
                    continue
            return None
        r = retry(t, seen)
        if r is None:
            die("no widget shows %r after %gs" % (a[0], t), app)
        print(r)
    elif o.cmd == "select":
        def pick():
            for acc in every(app):
                try:
                    if acc.getRoleName() in ("list item", "table row") and (acc.name or "").startswith(a[0]):
                        return activate(acc) or None
                except Exception:
                    continue
            return None
        if retry(t, pick) is None:
            die("no list row starting %r after %gs" % (a[0], t), app)
    elif o.cmd == "focused":
        # The widget with the keyboard focus: "role<TAB>name", a row read
        # by the labels inside it.
        def has_focus():
            for acc in every(app):
                try:
                    if acc.getState().contains(pyatspi.STATE_FOCUSED):
                        inner = [c.name or text_of(c) for c in acc] if acc.childCount < 8 else []
                        return "%s\t%s" % (acc.getRoleName(), " ".join(
                            [acc.name or text_of(acc)] + labels_of(acc) + inner).strip())
                except Exception:
                    continue
            return None
        r = retry(t, has_focus)
        if r is None:
            die("nothing has the keyboard focus after %gs" % t, app)
        print(r)
    elif o.cmd == "names":
        print("\n".join(names(app)))
    elif o.cmd == "dump":
        for ap in apps(app):
            dump(ap)
    else:
        p.error("unknown command %s" % o.cmd)


if __name__ == "__main__":
    main()
