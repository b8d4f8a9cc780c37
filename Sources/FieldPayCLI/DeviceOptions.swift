import ArgumentParser
import DeviceApp
import DeviceStore
import FieldPayCore
import Foundation

/// The options every command that touches the device's data shares.
struct DeviceOptions: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            "The device profile (TOML).",
            discussion: "Default: $FIELDPAY_PROFILE, else /etc/fieldpay/device.toml when it exists, else built-in defaults.",
            valueName: "file"))
    var profile: String?

    @Option(
        help: ArgumentHelp(
            "The device database; overrides the profile's [store] path.",
            discussion: "Default without a profile: $FIELDPAY_DB, else ~/.local/share/fieldpay/device.sqlite.",
            valueName: "file"))
    var db: String?

    @Option(name: .customLong("as-of"), help: ArgumentHelp("Age invoices as of this date instead of today.", valueName: "yyyy-mm-dd"))
    var asOf: String?

    func validate() throws {
        if let asOf, LocalDate(parsing: asOf) == nil { throw ValidationError("--as-of must be a date like 2026-11-30 or 30/11/2026") }
    }

    /// The profile as chosen by --profile, the environment or the system file.
    func loadProfile() throws -> DeviceProfile {
        let environment = ProcessInfo.processInfo.environment
        let chosen = profile ?? environment["FIELDPAY_PROFILE"].flatMap { $0.isEmpty ? nil : $0 }
            ?? (FileManager.default.fileExists(atPath: "/etc/fieldpay/device.toml") ? "/etc/fieldpay/device.toml" : nil)
        var loaded: DeviceProfile
        if let chosen {
            do { loaded = try DeviceProfile.load(path: chosen) } catch {
                printError("\(error.message) [\(error.codeString)]")
                throw ExitCode(ExitStatus.badInput)
            }
        } else {
            loaded = DeviceProfile()
        }
        if let db { loaded.databasePath = db }
        return loaded
    }

    func openDatabase(_ profile: DeviceProfile) throws -> AppDatabase {
        do { return try AppDatabase(path: profile.databasePath) } catch {
            printError("\(error.message) [\(error.codeString)]")
            throw ExitCode(ExitStatus.storeFailed)
        }
    }

    func today(_ profile: DeviceProfile) -> LocalDate {
        asOf.flatMap { LocalDate(parsing: $0) } ?? LocalDate.today(in: profile.timeZone)
    }
}

/// Runs a database call; a storage error is printed and ends the command with its own status.
func store<T>(_ body: () throws(StoreError) -> T) throws -> T {
    do { return try body() } catch {
        printError("\(error.message) [\(error.codeString)]")
        throw ExitCode(ExitStatus.storeFailed)
    }
}
