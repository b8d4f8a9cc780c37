import DeviceApp
import DeviceStore
import FieldPayCore
import Foundation
import InvoiceCodes
import InvoiceImport
import Scanning
import Testing

@Suite("Device profile")
struct DeviceProfileTests {
    @Test("the demo profile loads, with its paths relative to its folder and its key and pattern in force")
    func demo() throws {
        let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().path
        let profile = try DeviceProfile.load(path: repository + "/devices/demo.toml")
        #expect(profile.deviceCode == "DEMO01")
        #expect(profile.databasePath == repository + "/devices/../.build/demo/device.sqlite")
        #expect(profile.payloadRules.eInvoiceKeys.map(\.name) == ["demo-irp"])
        #expect(profile.payloadRules.patterns.map(\.name) == ["acme-label"])
        #expect(profile.timeZone.identifier == "Asia/Kolkata")
    }

    @Test("an empty profile is the built-in defaults")
    func empty() throws {
        let profile = try DeviceProfile.parse("", source: "/etc/fieldpay/device.toml")
        #expect(profile.deviceCode == "DEV001")
        #expect(profile.payloadRules.plainNumbers)
        #expect(DeviceProfile.defaultDatabasePath(environment: ["HOME": "/home/rep"]) == "/home/rep/.local/share/fieldpay/device.sqlite")
        #expect(DeviceProfile.defaultDatabasePath(environment: ["FIELDPAY_DB": "/data/d.sqlite", "HOME": "/x"]) == "/data/d.sqlite")
    }

    @Test("mistakes are named with the file, the section and the key", arguments: [
        ("[device]\ncode = \"x\"", "[device] code must be 2 to 16 capital letters and digits"),
        ("[device]\ncolour = \"red\"", "[device] has no setting \"colour\""),
        ("[device]\ntimezone = \"Mars/Olympus\"", "is not a time zone name"),
        ("[payloads]\nplain_numbers = \"yes\"", "[payloads] plain_numbers must be true or false"),
        ("[payloads]\nurl_parameters = [1, 2]", "must be a list of strings"),
        ("[[payloads.pattern]]\nname = \"x\"\nregex = \"INV(\\\\d+)\"", "has no named group (?<invoice>"),
        ("[[payloads.pattern]]\nname = \"x\"", "has no regex"),
        ("[payloads]\neinvoice_keys = [\"missing.pem\"]", "cannot read /etc/fieldpay/missing.pem"),
        ("[paylods]\nplain_numbers = true", "unknown section [paylods]"),
        ("[device\ncode = 1", "not valid TOML: /etc/fieldpay/device.toml: line 1"),
        ("# a kiosk\n[kiosk]\nport = 8787\nhost = \"0.0.0.0\"", "device.toml, line 4: [kiosk] host must be 127.0.0.1, ::1 or localhost"),
        ("[kiosk]\nprot = 8787", "device.toml, line 2: [kiosk] has no setting \"prot\""),
        ("[kiosk]\nport = 70000", "[kiosk] port must be a whole number from 0 to 65535"),
        ("[hub]\nscope = \"all\"", "device.toml, line 2: [hub] scope must be rep (what the hub gives this device's rep) or region"),
        ("[camera]\nfps = 500", "[camera] fps must be a number from 1 to 120"),
        ("[camera]\ndevice = \"video0\"", "[camera] device must be a V4L2 device path"),
        ("[camera]\ndevice = \"/dev/video0\"\nreplay = \"frames\"", "has both device and replay"),
        ("[demo]\npayer_delay_seconds = 1", "[demo] needs invoices"),
        ("[demo]\ninvoices = \"nowhere.csv\"", "line 2: [demo] invoices: no file at /etc/fieldpay/nowhere.csv"),
        ("[hub]\nurl = \"https://hub\"", "[hub] has no setting \"url\""),
        ("[upi]\nvpa = \"shop@okhdfcbank\"\nname = \"Shop\"\nallowed_payees = [\"not a vpa\"]", "line 4: [upi] allowed_payees: \"not a vpa\" is not a UPI address"),
        ("[upi]\nvpa = \"shop@okhdfcbank\"\nname = \"Shop\"\nallowed_payees = \"second@oksbi\"", "[upi] allowed_payees must be a list of strings"),
        ("[scanner]\nsymbologies = [\"qr\", \"pdf417\"]", "line 2: [scanner] symbologies: 'pdf417' is not a symbology"),
        ("[scanner]\nean_addons = \"yes\"", "[scanner] ean_addons must be true or false"),
        ("[scanner]\nanything = 1", "[scanner] has no setting \"anything\""),
    ])
    func mistakes(text: String, fragment: String) {
        let error = #expect(throws: ProfileError.self) { try DeviceProfile.parse(text, source: "/etc/fieldpay/device.toml") }
        #expect(error?.message.contains(fragment) == true, "\(error?.message ?? "")")
    }

    @Test("sections for later parts of FieldPay are accepted")
    func reserved() throws {
        _ = try DeviceProfile.parse("[sync]\nanything = 1\n[log]\nlevel = \"debug\"", source: "p.toml")
    }

    @Test("[scanner] chooses the camera decoder's symbologies, EAN/UPC add-ons and Code 39 Full ASCII")
    func scanner() throws {
        let defaults = try DeviceProfile.parse("", source: "p.toml").daemon.scanner
        #expect(defaults == DecoderOptions())
        let chosen = try DeviceProfile.parse(
            "[scanner]\nsymbologies = [\"qr\", \"EAN-13\", \"upca\"]\nean_addons = true\ncode39_full_ascii = true",
            source: "p.toml"
        ).daemon.scanner
        #expect(chosen.symbologies == [.qr, .ean13, .upca])
        #expect(chosen.eanAddons)
        #expect(chosen.code39FullASCII)
    }

    @Test("the shipped profiles load: demo replays the samples with an embedded hub; handheld and kiosk use /dev/video0")
    func shipped() throws {
        let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().path
        let demo = try DeviceProfile.load(path: repository + "/devices/demo.toml").daemon
        #expect(demo.input == .replay(repository + "/devices/../samples/invoices"))
        #expect(demo.demo?.invoices == repository + "/devices/../samples/invoices.csv")
        #expect(demo.kioskHost == "127.0.0.1")
        for name in ["handheld", "kiosk"] {
            let profile = try DeviceProfile.load(path: repository + "/devices/\(name).toml")
            #expect(profile.daemon.input == .device("/dev/video0"))
            #expect(profile.daemon.demo == nil)
            #expect(profile.databasePath == "/var/lib/fieldpay/device.sqlite")
            #expect(profile.upi != nil)
        }
        let kiosk = try DeviceProfile.load(path: repository + "/devices/kiosk.toml").daemon
        #expect(kiosk.framesPerSecond == 30 && kiosk.qrSeconds == 180 && kiosk.hindi)
    }
}

@Suite("Invoice lookup")
struct InvoiceLookupTests {
    @Test("payload → invoice → aging in the profile's time zone, and each way it can fail")
    func outcomes() throws {
        let folder = NSTemporaryDirectory() + "fieldpay-lookup-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let csv = folder + "/i.csv"
        _ = FileManager.default.createFile(
            atPath: csv,
            contents: Data("invoice_number,invoice_date,due_date,customer,total\nINV-7,2026-10-01,2026-10-31,Rao,700\n".utf8))
        var profile = try DeviceProfile.parse("[device]\ntimezone = \"UTC\"", source: folder + "/p.toml")
        profile.databasePath = folder + "/d.sqlite"
        let database = try AppDatabase(path: profile.databasePath)
        _ = try database.importInvoices(from: InvoiceFileReader(path: csv))
        let lookup = try InvoiceLookup(profile: profile, database: database)

        guard case .found(let ref, let cached, let aging) = try lookup.lookup("inv7", symbology: "code128", today: LocalDate(parsing: "2026-11-30"))
        else {
            Issue.record("INV-7 not found")
            return
        }
        #expect(ref.source == .plain)
        #expect(cached.customer.name == "Rao")
        #expect(aging.daysPastDue == 30 && aging.bucket == .days1to30)
        let view = InvoiceView(cached, aging: aging)
        #expect(view.daysOverdue == 30 && view.outstanding == "700.00" && view.agingBucket == "1-30")

        guard case .notCached = try lookup.lookup("INV-8", symbology: "code128") else {
            Issue.record("INV-8 should not be cached")
            return
        }
        guard case .rejected(let error) = try lookup.lookup("8901234567892", symbology: "ean13") else {
            Issue.record("an EAN is not an invoice code")
            return
        }
        #expect(error.code == .notInvoiceCode)
    }
}
