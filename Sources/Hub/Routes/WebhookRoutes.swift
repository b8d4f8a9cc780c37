import FieldPayCore
import Foundation
import HTTPTypes
import Hummingbird
import HubAPI
import NIOCore

/// `POST /v1/webhooks/{provider}`: each configured payment provider's deliveries, verified and recorded.
func webhookRoutes(_ configuration: HubConfiguration, store: some HubStorage, metrics: HubMetrics) -> RouteCollection<HubRequestContext> {
    let routes = RouteCollection(context: HubRequestContext.self)
    let limit = configuration.maximumBodyBytes
    let providers = configuration.providers
    routes.post("/v1/webhooks/:provider") { request, context -> Response in
        let name = try context.parameters.require("provider")
        guard let provider = providers[name]?.webhook else { throw ProblemError(status: .notFound, detail: "no payment provider \(name) at this hub") }
        let data = try await body(request, limit: limit)
        var headers: [String: String] = [:]
        for field in request.headers { headers[field.name.canonicalName] = field.value }
        // A signed event made before the replay window is a replay (the provider retries for a day, never a
        // week): recorded, answered, not applied.
        let outcome = try store.receiveWebhook(
            provider, body: data, headers: HTTPFieldsView(headers), notBefore: Date().addingTimeInterval(-configuration.webhookReplayWindow))
        metrics.count("fieldpay_hub_webhooks_total", labels: ["provider": name, "outcome": outcome.rawValue])
        // Answer fast and 2xx for everything we stored, so the provider does not retry for a day; a bad
        // signature is a 401 (recorded all the same).
        if outcome == .badSignature { throw ProblemError(status: .unauthorized, detail: "the webhook signature does not match") }
        return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: "{\"outcome\":\"\(outcome.rawValue)\"}")))
    }
    return routes
}
