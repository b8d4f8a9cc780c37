import Foundation
import Testing

@Suite("fieldpay doctor")
struct DoctorTests {
    @Test("a healthy device without a hub: ok lines, a warning for the hub, exit 0")
    func healthy() throws {
        let device = PaymentDevice()
        let run = try device.run(["doctor", "--no-camera"])
        #expect(run.status == 0, "\(run.stdout) \(run.stderr)")
        #expect(run.stdout.contains("ok    profile  ") && run.stdout.contains("device TEST01"))
        #expect(run.stdout.contains("ok    database ") && run.stdout.contains("check ok, journal wal, 3 invoices, 0 payments (nothing waiting to upload)"))
        #expect(run.stdout.contains("ok    disk     "))
        #expect(run.stdout.contains("skip  camera   left out (--no-camera)"))
        #expect(run.stdout.contains("warn  hub      not enrolled"))
    }

    @Test("a camera that is not there, a hub that does not answer, a damaged database: FAIL lines and exit 3")
    func failures() throws {
        let device = PaymentDevice()
        #expect(try device.run(["pay", "--invoice", "INV/1", "--amount", "100", "--cash"]).status == 0)
        let camera = try device.run(["doctor", "--camera", "/dev/video-none"])
        #expect(camera.status == 3 && camera.stdout.contains("FAIL  camera   /dev/video-none:"), "\(camera.stdout)")
        #expect(camera.stdout.contains("1 payments (1 waiting to upload, oldest"))

        // Enrolled with a hub that is not listening.
        let credentials = #"{"hubURL":"http://127.0.0.1:9","deviceID":"dev_x","secret":"s"}"#
        try credentials.write(toFile: device.folder + "/hub.json", atomically: true, encoding: .utf8)
        let hub = try device.run(["doctor", "--no-camera"])
        #expect(hub.status == 3 && hub.stdout.contains("FAIL  hub      http://127.0.0.1:9: unreachable"), "\(hub.stdout)")

        // A database page overwritten with garbage: the quick check finds it.
        let handle = try #require(FileHandle(forUpdatingAtPath: device.database))
        try handle.seek(toOffset: 4096 * 2)
        handle.write(Data(repeating: 0x5A, count: 4096))
        try handle.close()
        let damaged = try device.run(["doctor", "--no-camera"])
        #expect(damaged.status == 3 && damaged.stdout.contains("FAIL  database"), "\(damaged.stdout)")
    }
}
