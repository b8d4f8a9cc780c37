import FieldPayCore
import InvoiceCodes

// Every payload parser on arbitrary bytes: each must return or throw a PayloadError, never trap.
// The parser has a distributor pattern and a (dummy) e-invoice key configured, so the signature path runs too.
let parser: InvoiceCodeParser = {
    let pem = """
        -----BEGIN PUBLIC KEY-----
        MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEApM7e9fj/QhKMovb9stKF
        iTttwPYbk8Zhzh35SGKtg3NtywrbF0Q9vW6rnPzv/YZkCuvMIO/n9cq5fi0bsNpW
        qRN3N1sMAP6JK3qijISMzohEv1MOELsbyKnbJOliURNNtm7pUE0mu+7KUdZTDRYz
        mkq/8n+wsSl5JedMWjGTuAZkKTzxpWob+ZBsbofI8mubZhYFtA91BPYE51JI0ZWB
        dBOYxtbeyaiifAqQ3Klremp2HsGjRxgvhg+pO7eEoL4MG7M5KLvwf+88gqbPuekm
        Qdj9Q87gLofhGEVFJQynfE/AKOQv/qXF8f9L5nuq2RBG7xVaRT7bfHDnKfuaDkK5
        2wIDAQAB
        -----END PUBLIC KEY-----
        """
    let key = try! EInvoiceKey(name: "fuzz", pem: pem)
    return try! InvoiceCodeParser(
        rules: PayloadRules(
            patterns: [.init(name: "acme", regex: #"^ACME\*(?<invoice>[A-Z0-9/-]+)\*(?<amount>[0-9.]+)\*(?<date>[0-9/]+)$"#)],
            eInvoiceKeys: [key]))
}()
let unchecked = try! InvoiceCodeParser()
let today = LocalDate(year: 2026, month: 11, day: 30)!

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let bytes = UnsafeBufferPointer(start: data, count: size)
    let text = String(decoding: bytes, as: UTF8.self)
    for symbology in [nil, "qr", "code128", "ean13"] as [String?] {
        _ = try? parser.parse(text, symbology: symbology, today: today)
    }
    _ = try? unchecked.parse(text, today: today)
    _ = try? GS1.elements(of: text)
    _ = try? GSTIN(text)
    _ = try? Money(parsing: text)
    _ = LocalDate(parsing: text)
    _ = LocalDate(gs1: text, reference: today)
    _ = VPA.isValid(text)
    _ = normalizedInvoiceKey(text)
    return 0
}
