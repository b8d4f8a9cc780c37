import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif

/// A small element tree read with Foundation's `XMLParser` (libxml2, no entity expansion from outside, no DTD
/// loading): what the Tally connector needs from Tally's answers, and nothing of the document's formatting.
public final class XMLTreeElement: @unchecked Sendable {
    // Built once by `XMLTree.parse` on one thread and only read afterwards.
    public let name: String
    public let attributes: [String: String]
    public internal(set) var children: [XMLTreeElement] = []
    public internal(set) var text = ""

    init(name: String, attributes: [String: String]) {
        self.name = name
        self.attributes = attributes
    }

    /// The first child named `name` (Tally's names are upper case; compared as given).
    public func child(_ name: String) -> XMLTreeElement? { children.first { $0.name == name } }

    /// The trimmed text of the first child named `name`.
    public func value(_ name: String) -> String? {
        child(name).map { $0.text.trimmingCharacters(in: .whitespacesAndNewlines) }
    }

    /// Every element named `name` at any depth, in document order.
    public func all(_ name: String) -> [XMLTreeElement] {
        var found: [XMLTreeElement] = []
        var stack: [XMLTreeElement] = [self]
        while let element = stack.popLast() {
            if element.name == name { found.append(element) }
            stack.append(contentsOf: element.children.reversed())
        }
        return found
    }

    /// The trimmed text of the first element named `name` at any depth.
    public func first(_ name: String) -> String? {
        all(name).first.map { $0.text.trimmingCharacters(in: .whitespacesAndNewlines) }
    }
}

public enum XMLTree {
    /// The document's root element, or nil when it is not well-formed XML.
    public static func parse(_ data: Data) -> XMLTreeElement? {
        try? parseOrExplain(data)
    }

    /// The document's root element, or the parser's words for why not (line and column).
    public static func parseOrExplain(_ data: Data) throws -> XMLTreeElement {
        let builder = Builder()
        // Fed as a stream: libxml2 takes it in chunks, so a large export (tens of MB on one line) does not trip its
        // 10 MB look-up limit, as one chunk of the whole document would.
        let parser = XMLParser(stream: InputStream(data: data))
        parser.shouldResolveExternalEntities = false
        parser.delegate = builder
        guard parser.parse(), let root = builder.root else {
            let reason = parser.parserError.map { "\($0)" } ?? "no element"
            throw ERPError("not well-formed XML at line \(parser.lineNumber), column \(parser.columnNumber): \(reason)")
        }
        return root
    }

    final class Builder: NSObject, XMLParserDelegate {
        var root: XMLTreeElement?
        var stack: [XMLTreeElement] = []

        func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?, attributes: [String: String] = [:]) {
            let element = XMLTreeElement(name: name, attributes: attributes)
            if let parent = stack.last { parent.children.append(element) } else if root == nil { root = element }
            stack.append(element)
        }

        func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
            _ = stack.popLast()
        }

        func parser(_ parser: XMLParser, foundCharacters string: String) {
            stack.last?.text += string
        }
    }

    /// Text as XML character data or an attribute value: the five predefined entities, and the control
    /// characters XML 1.0 cannot carry dropped.
    public static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            case "\t", "\n", "\r": out.unicodeScalars.append(scalar)
            default:
                if scalar.value >= 0x20 && scalar.value != 0xFFFE && scalar.value != 0xFFFF { out.unicodeScalars.append(scalar) }
            }
        }
        return out
    }
}
