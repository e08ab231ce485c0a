import Domain
import Foundation

/// The rendered street the demo's camera gates play: written by `bollard-edge
/// scene` (the edge owns frames and plates; central only runs it), with
/// permits for some of its cars so that the camera path yields authorised
/// passages, violations and, for the car passing again hard to read, reviews.
struct StreetRecording {
    var path: String
    var permits: [Permit]
    var summary: String

    /// Writes the recording into `folder`; nil (with the reason printed) when it cannot.
    static func make(edgeBinary: String, folder: String, zone: ZoneID, now: Date) -> StreetRecording? {
        let path = folder + "/street.y4m"
        let process = Process()
        process.executableURL = URL(fileURLWithPath: edgeBinary)
        process.arguments = ["scene", "--out", path, "--cars", "6"]
        let output = Pipe()
        process.standardOutput = output
        do {
            try process.run()
            let data = output.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            guard process.terminationStatus == 0 else {
                print("camera path: 'bollard-edge scene' failed (exit \(process.terminationStatus))")
                return nil
            }
            // One line per car: PLATE<TAB>clear|hard. Every other clear car holds a resident's permit.
            let cars = String(decoding: data, as: UTF8.self).split(separator: "\n").map { $0.split(separator: "\t").map(String.init) }
            let clear = cars.filter { $0.count == 2 && $0[1] == "clear" }.map { $0[0] }
            var permits: [Permit] = []
            for (index, text) in clear.enumerated() where index.isMultiple(of: 2) {
                guard let plate = PlateText(text) else { continue }
                permits.append(Permit(
                    id: "STREET-\(index + 1)", plate: plate, profile: .resident, zones: [zone], validFrom: now.addingTimeInterval(-86_400)))
            }
            let hard = cars.count - clear.count
            return StreetRecording(
                path: path, permits: permits,
                summary: "\(clear.count) cars, \(permits.count) with permits, and \(hard) passing again hard to read")
        } catch {
            print("camera path: cannot run \(edgeBinary) scene: \(error)")
            return nil
        }
    }
}
