#!/usr/bin/env python3
"""The smallest GTK 4 application shaped like kyso-manager for the
harness's own test (harness.sh): a labelled password entry, a button,
and on click a GNotification with a "Renew" button (app.renew::SERIAL)
whose activation it prints."""
import sys

import gi
gi.require_version("Gtk", "4.0")
from gi.repository import Gio, GLib, Gtk  # noqa: E402

app = Gtk.Application(application_id="vn.kyso.TestDemo")


def renew(_action, param):
    print("renew " + param.get_string(), flush=True)


def activate(app):
    win = Gtk.ApplicationWindow(application=app, title="Demo window")
    box = Gtk.Box(orientation=Gtk.Orientation.VERTICAL, spacing=6)
    label = Gtk.Label(label="New PIN")
    entry = Gtk.PasswordEntry()
    entry.update_property([Gtk.AccessibleProperty.LABEL], ["New PIN"])
    button = Gtk.Button(label="Accept")
    result = Gtk.Label(label="")

    def clicked(_b):
        result.set_label("Typed " + entry.get_text())
        entry.set_text("")
        n = Gio.Notification.new("Certificate expiring soon")
        n.set_body("The certificate of Demo expires in 10 days.")
        n.add_button_with_target("Renew", "app.renew", GLib.Variant("s", "0A1B2C"))
        app.send_notification("expiring-0A1B2C", n)
    button.connect("clicked", clicked)
    for w in (label, entry, button, result):
        box.append(w)
    win.set_child(box)
    win.present()


action = Gio.SimpleAction.new("renew", GLib.VariantType.new("s"))
action.connect("activate", renew)
app.add_action(action)
app.connect("activate", activate)
sys.exit(app.run(sys.argv))
