import FieldPayCore
import Foundation
import HTTPTypes
import Hummingbird
import HubAPI
import NIOCore
import ServiceLifecycle

/// `GET /v1/events`: the confirmations that concern a device, by long-poll (JSON) or as Server-Sent Events.
func eventRoutes(_ configuration: HubConfiguration, store: some HubStorage) -> RouteCollection<HubRequestContext> {
    let routes = RouteCollection(context: HubRequestContext.self)
    // Confirmations as Server-Sent Events: what was missed since `since` (or Last-Event-ID) first, then live,
    // with a comment line every `keepAlive` so a dead connection is noticed.
    // The database is the only source of events: a credit published live is just a wake-up to read it, so
    // two credits committed close together are never delivered out of order or skipped, and credits matched by
    // another process (a statement import) reach the next reader all the same.
    routes.get("/v1/events") { request, context -> Response in
        let device = try deviceID(request, store: store)
        let token = String(request.headers[.authorization]?.dropFirst("Bearer ".count) ?? "")
        let sinceText = request.uri.queryParameters.get("since") ?? request.headers[HTTPField.Name("Last-Event-ID")!] ?? "0"
        guard let since = Int64(sinceText), since >= 0 else { throw ProblemError(status: .badRequest, detail: "since must be an event id this hub gave") }
        let keepAlive = configuration.eventKeepAlive
        let streams = configuration.maximumStreamsPerDevice
        let tooMany = ProblemError(
            status: .tooManyRequests, detail: "this device already holds \(streams) event streams or long-polls open; close one first",
            headers: [.retryAfter: "5"])
        guard request.headers[.accept]?.contains("text/event-stream") == true else {
            // Long-poll: the events since `since` as JSON, waiting up to `wait` seconds for one when there are none.
            let waitText = request.uri.queryParameters.get("wait") ?? "0"
            guard let wait = Int(waitText), (0...60).contains(wait) else { throw ProblemError(status: .badRequest, detail: "wait must be 0 to 60 seconds") }
            // Subscribed before reading, so a credit committed in between wakes the wait.
            guard let (subscription, live) = store.broadcaster.subscribe(deviceID: device, limit: streams) else { throw tooMany }
            defer { store.broadcaster.unsubscribe(subscription) }
            var events = try store.events(deviceID: device, since: since, limit: 1000)
            if events.isEmpty && wait > 0 {
                await withTaskGroup(of: Void.self) { group in
                    group.addTask {
                        for await _ in live { return }
                    }
                    group.addTask { try? await Task.sleep(for: .seconds(wait)) }
                    group.addTask {
                        // The hub is stopping: answer now rather than hold its shutdown for the rest of `wait`.
                        try? await gracefulShutdown()
                    }
                    await group.next()
                    group.cancelAll()
                }
                events = try store.events(deviceID: device, since: since, limit: 1000)
            }
            return try json(EventsPage(events: events, next: events.last?.id ?? since), status: .ok)
        }
        // Subscribed now, so that the limit is decided before the stream is answered.
        guard let (subscription, live) = store.broadcaster.subscribe(deviceID: device, limit: streams) else { throw tooMany }
        return Response(
            status: .ok, headers: [.contentType: "text/event-stream", .cacheControl: "no-store"],
            body: .init { writer in
                defer { store.broadcaster.unsubscribe(subscription) }
                var last = since
                // Everything after `last`, page by page, however much a device has missed.
                func catchUp() async throws {
                    while true {
                        let page = try store.events(deviceID: device, since: last, limit: 1000)
                        for event in page {
                            let data = try JSONEncoder().encode(event)
                            try await writer.write(
                                ByteBuffer(string: "id: \(event.id)\nevent: \(event.type)\ndata: \(String(decoding: data, as: UTF8.self))\n\n"))
                            last = event.id
                        }
                        if page.count < 1000 { return }
                    }
                }
                try await writer.write(ByteBuffer(string: "retry: 2000\n\n"))
                try await catchUp()
                // Wake-ups and keep-alives; the loop ends when the client goes away, the device is revoked, or
                // the hub stops.
                try await withThrowingTaskGroup(of: Void.self) { group in
                    let (ticks, tick) = AsyncStream<Bool>.makeStream(bufferingPolicy: .bufferingNewest(8))
                    group.addTask {
                        for await _ in live { tick.yield(true) }
                        tick.finish()
                    }
                    group.addTask {
                        while !Task.isCancelled {
                            try await Task.sleep(for: keepAlive)
                            tick.yield(false)
                        }
                    }
                    group.addTask {
                        // The hub is stopping: end the stream (the device reconnects with Last-Event-ID).
                        try? await gracefulShutdown()
                        tick.finish()
                    }
                    for await wake in ticks {
                        if wake {
                            try await catchUp()
                        } else {
                            guard case .device = try store.authenticate(token) else { break }  // revoked since it connected
                            try await catchUp()  // what another process matched (a statement import)
                            try await writer.write(ByteBuffer(string: ": keep-alive\n\n"))
                        }
                    }
                    group.cancelAll()
                }
                try await writer.finish(nil)
            })
    }
    return routes
}
