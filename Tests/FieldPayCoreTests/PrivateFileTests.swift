import FieldPayCore
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

@Suite("Private files")
struct PrivateFileTests {
    func mode(_ path: String) -> Int {
        ((try? FileManager.default.attributesOfItem(atPath: path)[.posixPermissions]) as? Int) ?? -1
    }

    @Test("a secret is written mode 0600 whatever the umask, replaces what was there, and leaves no temporary file")
    func written() throws {
        let folder = NSTemporaryDirectory() + "fieldpay-private-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = folder + "/hub.json"
        try "old".write(toFile: path, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: path)
        let previous = umask(0)
        defer { umask(previous) }
        try PrivateFile.write(Data("secret".utf8), to: path)
        #expect(mode(path) == 0o600)
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "secret")
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder) == ["hub.json"])  // no temporary file left
        #expect(PrivateFile.exposure(of: path) == nil)
        try FileManager.default.setAttributes([.posixPermissions: 0o640], ofItemAtPath: path)
        #expect(PrivateFile.exposure(of: path)?.contains("mode 640") == true)
    }

    @Test("a secret that cannot be written says where and why")
    func failure() {
        #expect(throws: PrivateFile.Failure.self) { try PrivateFile.write(Data("x".utf8), to: "/nonexistent-folder/hub.json") }
    }
}
