import Imaging
import Testing

@testable import Scanning

/// The classes of misread seen on real photos: add-ons dropped, QR text in the wrong character set, and a
/// damaged linear code believed on one view of the image.
@Suite("Misreads")
struct MisreadTests {
    let addOns = DecoderOptions(eanAddons: true)

    @Test("a code read with its add-on is one symbol: the code's digits, then the add-on's")
    func addOnJoined() throws {
        let ean = try #require(ZBarDecoder(options: addOns).decode(try load("ean13-addon5.png")).only)
        #expect(ean.symbology == .ean13)
        #expect(ean.text == "8901234567890" + "12345")
        #expect(ean.addOn == "12345")
        let upc = try #require(ZBarDecoder(options: addOns).decode(try load("upca-addon2.png")).only)
        #expect(upc.symbology == .upca)
        #expect(upc.text == "036000291452" + "12")
        #expect(upc.addOn == "12")
        #expect(upc.points.count == 4)
    }

    @Test("an add-on alone is no code, unless only add-ons were asked for")
    func loneAddOn() throws {
        #expect(ZBarDecoder(options: addOns).decode(try load("ean5-alone.png")).isEmpty)
        let asked = ZBarDecoder(options: DecoderOptions(symbologies: [.ean5], eanAddons: true))
        #expect(asked.decode(try load("ean5-alone.png")).map(\.text) == ["12345"])
    }

    @Test("add-ons zbar reports apart are joined to the code they stand beside")
    func pairing() {
        let main = Symbol(
            symbology: .ean13, bytes: Array("8901234567890".utf8),
            points: [Point(x: 100, y: 50), Point(x: 290, y: 50), Point(x: 290, y: 150), Point(x: 100, y: 150)],
            quality: 40, orientation: .up)
        let beside = Symbol(
            symbology: .ean5, bytes: Array("12345".utf8),
            points: [Point(x: 310, y: 60), Point(x: 400, y: 60), Point(x: 400, y: 150), Point(x: 310, y: 150)],
            quality: 30, orientation: .up)
        let farAway = Symbol(
            symbology: .ean2, bytes: Array("99".utf8),
            points: [Point(x: 900, y: 600), Point(x: 940, y: 600), Point(x: 940, y: 650), Point(x: 900, y: 650)],
            quality: 30, orientation: .up)
        let joined = AddOns.pair([beside, main, farAway], keepLoneAddOns: false)
        #expect(joined.map(\.text) == ["890123456789012345"])
        #expect(joined.first?.addOn == "12345")
        #expect(joined.first?.quality == 30)
    }

    @Test("a code whose add-on is visible but unreadable is not returned alone")
    func visibleAddOnUnread() throws {
        let frame = try load("ean13-addon-scratched.png")
        // What zbar alone says: the EAN-13 without its add-on, which names another item.
        #expect(ZBarDecoder(options: addOns).decode(frame).map(\.text) == ["8901234567890"])
        #expect(StillImageScanner(options: addOns).scan(frame).symbols.map(\.text) == [])
        // The same code without bars beside it is returned as before.
        #expect(StillImageScanner(options: addOns).scan(try load("ean13.png")).symbols.map(\.text) == ["8901234567890"])
        // Asked not to read add-ons, the scanner reports the code alone (the old behaviour, on request).
        #expect(StillImageScanner().scan(frame).symbols.map(\.text) == ["8901234567890"])
    }

    @Test("the add-on detector sees the bars beside a code and nothing beside a code without them")
    func addOnDetector() throws {
        let scratched = try load("ean13-addon-scratched.png")
        let withBars = try #require(ZBarDecoder().decode(scratched).only)
        let seen = AddOns.visibleAddOn(beside: withBars, in: scratched)
        #expect(seen)
        let plain = try load("ean13.png")
        let alone = try #require(ZBarDecoder().decode(plain).only)
        let seenAlone = AddOns.visibleAddOn(beside: alone, in: plain)
        #expect(!seenAlone)
        // Blurred step by step (a box blur of radius 1, up to seven times: about 1.9 px on 2 px modules).
        var blurred = scratched
        var plainBlurred = plain
        var checked = 0
        for pass in 1...7 {
            blurred = blurred.boxBlurred(radius: 1)
            plainBlurred = plainBlurred.boxBlurred(radius: 1)
            guard let code = ZBarDecoder().decode(blurred).first(where: { $0.symbology == .ean13 }),
                let alone = ZBarDecoder().decode(plainBlurred).first(where: { $0.symbology == .ean13 })
            else { continue }
            checked += 1
            let seenBlurred = AddOns.visibleAddOn(beside: code, in: blurred)
            #expect(seenBlurred, "blurred \(pass) times")
            let seenBesidePlain = AddOns.visibleAddOn(beside: alone, in: plainBlurred)
            #expect(!seenBesidePlain, "blurred \(pass) times")
        }
        #expect(checked >= 3)
        // Turned a quarter: the detector follows the code's reading direction.
        let turned = scratched.rotated(degrees: 90)
        let turnedCode = try #require(ZBarDecoder().decode(turned).only)
        #expect(turnedCode.orientation != .up)
        let seenTurned = AddOns.visibleAddOn(beside: turnedCode, in: turned)
        #expect(seenTurned)
    }

    @Test(
        "QR text in Shift JIS or ISO-8859-1 without an ECI, or with a declared ECI, is read as written",
        arguments: [
            ("qr-sjis.png", "請求書 No.4512 合計 1,234円", Symbol.TextEncoding.shiftJIS),
            ("qr-latin1.png", "Müller & Söhne, Rechnung 4512", .latin1),
            ("qr-eci7.png", "Счёт № 4512", .utf8),  // zbar converts declared ECIs to UTF-8
            ("qr-eci20.png", "納品書 4512", .utf8),
            ("qr-utf8.png", "बिल 4512 — ₹1,234.50 बकाया", .utf8),
        ])
    func charsets(file: String, text: String, encoding: Symbol.TextEncoding) throws {
        let symbol = try #require(ZBarDecoder().decode(try load(file)).only)
        #expect(symbol.text == text)
        #expect(symbol.encoding == encoding)
    }

    @Test("the character set is decided on the bytes: UTF-8, then Shift JIS, then ISO-8859-1")
    func charsetRule() {
        func read(_ bytes: [UInt8]) -> (String, Symbol.TextEncoding) { Symbol.decodeText(bytes) }
        #expect(read(Array("INV/2026".utf8)) == ("INV/2026", .utf8))  // ASCII is UTF-8
        #expect(read(Array("₹1,234".utf8)) == ("₹1,234", .utf8))
        // 請求書 in Shift JIS: 90 BF 8B 81 8F 91 (C1 bytes, so not ISO-8859-1).
        #expect(read([0x90, 0xBF, 0x8B, 0x81, 0x8F, 0x91]) == ("請求書", .shiftJIS))
        // Half-width katakana ｲﾝﾎﾞｲｽ: valid in both, but three katakana in a row mean Shift JIS.
        #expect(read([0xB2, 0xDD, 0xCE, 0xDE, 0xB2, 0xBD]).1 == .shiftJIS)
        // Café (E9 at the end: a Shift JIS lead byte with no trail) and Müller (FC: no Shift JIS byte).
        #expect(read([0x43, 0x61, 0x66, 0xE9]) == ("Café", .latin1))
        #expect(read([0x4D, 0xFC, 0x6C, 0x6C, 0x65, 0x72]) == ("Müller", .latin1))
        // Señor: F1 is no Shift JIS byte; Ærø: C6 … F8.
        #expect(read([0x53, 0x65, 0xF1, 0x6F, 0x72]).1 == .latin1)
        // Bytes valid in neither keep every byte as ISO-8859-1.
        let junk: [UInt8] = [0x80, 0xFF, 0x81]
        #expect(read(junk).1 == .latin1)
        #expect(read(junk).0.unicodeScalars.map(\.value) == [0x80, 0xFF, 0x81])
    }

    @Test("Code 39 Full ASCII: pairs expanded when asked for; a reading with an undefined pair is dropped")
    func fullASCII() throws {
        let frame = try load("code39-fullascii.png")
        #expect(ZBarDecoder().decode(frame).map(\.text) == ["I+N+V-+A+B+C"])
        #expect(ZBarDecoder(options: DecoderOptions(code39FullASCII: true)).decode(frame).map(\.text) == ["Inv-abc"])
        #expect(Code39FullASCII.expand(Array("A$MB%UC/Z+Z".utf8)) == Array("A\rB\u{0}C:z".utf8))
        #expect(Code39FullASCII.expand(Array("%V/A/O%W".utf8)) == Array("@!/`".utf8))
        #expect(Code39FullASCII.expand(Array("AB+".utf8)) == nil)  // a shift with nothing after it
        #expect(Code39FullASCII.expand(Array("/P".utf8)) == nil)  // not in the table
        #expect(Code39FullASCII.expand(Array("+1".utf8)) == nil)
    }

    @Test("a UPC-E read inside a longer EAN-13 (no quiet zone beside it) is not believed; the EAN-13 is")
    func partialShortCode() throws {
        let frame = try load("upce-inside-ean13.png")
        let partial = try #require(ZBarDecoder().decode(frame).first { $0.symbology == .upce })
        #expect(partial.text == "08097202")  // what zbar reads on the plain pass, 11 scan lines agreeing
        let partialHolds = QuietZone.holds(for: partial, in: frame)
        #expect(!partialHolds)
        let real = try #require(ZBarDecoder().decode(try load("upce.png")).only)
        let realHolds = QuietZone.holds(for: real, in: try load("upce.png"))
        #expect(realHolds)
        #expect(StillImageScanner().scan(try load("upce.png")).symbols.map(\.text) == ["04252614"])
        #expect(StillImageScanner().scan(try load("ean8.png")).symbols.map(\.text) == ["89012345"])
        let result = StillImageScanner().scan(frame)
        #expect(result.symbols.map(\.text) == ["8909520529393"])
        #expect(result.symbols.first?.symbology == .ean13)
    }

    /// A linear reading at `x` as a pass would report it.
    func reading(_ text: String, x: Int = 100) -> Symbol {
        Symbol(
            symbology: .ean13, bytes: Array(text.utf8),
            points: [Point(x: x, y: 10), Point(x: x + 200, y: 10), Point(x: x + 200, y: 90), Point(x: x, y: 90)],
            quality: 5)
    }

    @Test("a rescue pass's linear reading is believed only when a second pass agrees and none disagrees")
    func agreement() {
        var votes = Votes()
        votes.add([reading("8901234567890")], pass: 3)
        #expect(votes.agreed().isEmpty)
        votes.add([reading("8901234567890")], pass: 3)  // the same pass again is no second opinion
        #expect(votes.agreed().isEmpty)
        votes.add([reading("8901234567890")], pass: 5)
        #expect(votes.agreed().map(\.text) == ["8901234567890"])

        var split = Votes()
        split.add([reading("8901234567890")], pass: 1)
        split.add([reading("8901234567883")], pass: 2)  // another text in the same place
        split.add([reading("8901234567890")], pass: 4)
        split.add([reading("8901234567883")], pass: 6)
        #expect(split.agreed().isEmpty)
        split.add([reading("8901234567890")], pass: 7)
        #expect(split.agreed().map(\.text) == ["8901234567890"])

        var apart = Votes()  // two codes side by side do not contradict each other
        apart.add([reading("8901234567890"), reading("8901234567883", x: 600)], pass: 1)
        apart.add([reading("8901234567890"), reading("8901234567883", x: 600)], pass: 2)
        #expect(apart.agreed().count == 2)
    }
}

extension Array {
    /// The one element, or nil when there are none or several.
    var only: Element? { count == 1 ? first : nil }
}
