#!/usr/bin/env python3
"""A notification daemon for the desktop tests: owns
org.freedesktop.Notifications on the session bus, records every Notify
call as one JSON line (id, app_name, summary, body, actions as
{key: label}) to the file named by argv[1], and emits ActionInvoked when
told to through its own method vn.kyso.Test.Recorder.Invoke(id, key),
the way a user's click on a notification's button does.

Ready when the file names in argv[2] exists (written once the name is
owned)."""
import json
import sys

from gi.repository import Gio, GLib

BUS_NAME = "org.freedesktop.Notifications"
PATH = "/org/freedesktop/Notifications"
XML = """
<node>
  <interface name="org.freedesktop.Notifications">
    <method name="GetCapabilities"><arg type="as" direction="out"/></method>
    <method name="GetServerInformation">
      <arg type="s" direction="out"/><arg type="s" direction="out"/>
      <arg type="s" direction="out"/><arg type="s" direction="out"/>
    </method>
    <method name="Notify">
      <arg type="s" name="app_name" direction="in"/>
      <arg type="u" name="replaces_id" direction="in"/>
      <arg type="s" name="app_icon" direction="in"/>
      <arg type="s" name="summary" direction="in"/>
      <arg type="s" name="body" direction="in"/>
      <arg type="as" name="actions" direction="in"/>
      <arg type="a{sv}" name="hints" direction="in"/>
      <arg type="i" name="expire_timeout" direction="in"/>
      <arg type="u" direction="out"/>
    </method>
    <method name="CloseNotification"><arg type="u" direction="in"/></method>
    <signal name="NotificationClosed"><arg type="u"/><arg type="u"/></signal>
    <signal name="ActionInvoked"><arg type="u"/><arg type="s"/></signal>
  </interface>
  <interface name="vn.kyso.Test.Recorder">
    <method name="Invoke"><arg type="u" direction="in"/><arg type="s" direction="in"/></method>
  </interface>
</node>
"""

log_path, ready_path = sys.argv[1], sys.argv[2]
next_id = [0]


def record(entry):
    with open(log_path, "a", encoding="utf-8") as f:
        f.write(json.dumps(entry, ensure_ascii=False) + "\n")


def on_call(conn, sender, path, iface, method, params, inv):
    if method == "GetCapabilities":
        inv.return_value(GLib.Variant("(as)", (["actions", "body", "body-markup"],)))
    elif method == "GetServerInformation":
        inv.return_value(GLib.Variant("(ssss)", ("kyso-test-recorder", "kyso", "1", "1.2")))
    elif method == "Notify":
        app, replaces, icon, summary, body, actions, hints, timeout = params.unpack()
        nid = replaces
        if nid == 0:
            next_id[0] += 1
            nid = next_id[0]
        record({"id": nid, "app_name": app, "sender": sender, "summary": summary, "body": body,
                "actions": dict(zip(actions[0::2], actions[1::2])),
                "hints": sorted(hints.keys())})
        inv.return_value(GLib.Variant("(u)", (nid,)))
    elif method == "CloseNotification":
        (nid,) = params.unpack()
        record({"closed": nid})
        conn.emit_signal(None, PATH, BUS_NAME, "NotificationClosed", GLib.Variant("(uu)", (nid, 3)))
        inv.return_value(None)
    elif method == "Invoke":
        nid, key = params.unpack()
        record({"invoked": nid, "key": key})
        conn.emit_signal(None, PATH, BUS_NAME, "ActionInvoked", GLib.Variant("(us)", (nid, key)))
        inv.return_value(None)


def on_bus(conn, name):
    info = Gio.DBusNodeInfo.new_for_xml(XML)
    for iface in info.interfaces:
        conn.register_object(PATH, iface, on_call, None, None)


def on_name(conn, name):
    with open(ready_path, "w") as f:
        f.write("ready\n")


def on_lost(conn, name):
    sys.stderr.write("notify_recorder: could not own %s\n" % name)
    sys.exit(1)


Gio.bus_own_name(Gio.BusType.SESSION, BUS_NAME, Gio.BusNameOwnerFlags.NONE, on_bus, on_name, on_lost)
GLib.MainLoop().run()
