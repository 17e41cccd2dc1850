import HTTPTypes
import Hummingbird
import RAGQueue

/// Answers `405 Method Not Allowed`, with `Allow`, for a routed path asked with a method it does
/// not route (`PUT /v1/queries`, `POST /v1/stats`, `GET /chat`); an unknown path stays `404`.
///
/// Hummingbird 2's router cannot tell the two apart: `RouterResponder` sends both an unknown path
/// and a known path with an unrouted method to its not-found responder, which throws
/// `HTTPError(.notFound)`. The router applies a middleware only to routes added after it, but its
/// not-found responder gets every middleware, so this one, added after the last route, runs only
/// for requests the router did not match, and finds their path among the routes it was given.
struct MethodNotAllowedMiddleware: RouterMiddleware {
    typealias Context = APIRequestContext

    /// One routed path and the methods it answers.
    private struct Endpoint: Sendable {
        let path: RouterPath
        let methods: [HTTPRequest.Method]
    }

    private let endpoints: [Endpoint]

    /// - Parameter routes: every route of the router, as `Router.routes` lists them.
    init(routes: [Router<APIRequestContext>.RouteDescription]) {
        var byPath: [String: Endpoint] = [:]
        for route in routes {
            let methods = (byPath[route.path.description]?.methods ?? []) + [route.method]
            byPath[route.path.description] = Endpoint(path: route.path, methods: methods)
        }
        self.endpoints = byPath.values.sorted { $0.path.description < $1.path.description }
    }

    func handle(_ request: Request, context: APIRequestContext, next: (Request, APIRequestContext) async throws -> Response) async throws -> Response {
        guard let endpoint = endpoint(for: request.uri.path) else {
            return try await next(request, context)
        }
        // The metrics count the refusal under the route's template rather than as unmatched.
        context.coreContext.endpointPath.value = endpoint.path.description
        throw APIError.methodNotAllowed(allowed: endpoint.methods.map(\.rawValue).sorted())
    }

    /// The routed path that `path` matches, preferring literal segments over parameters as the
    /// router's trie does; nil when none matches.
    private func endpoint(for path: String) -> Endpoint? {
        let segments = path.split(separator: "/", omittingEmptySubsequences: true)
        var best: (endpoint: Endpoint, literals: [Bool])?
        for endpoint in endpoints where endpoint.path.components.count == segments.count {
            guard zip(endpoint.path.components, segments).allSatisfy({ $0 ~= $1 }) else { continue }
            let literals = zip(endpoint.path.components, segments).map { $0 == $1 }
            if let current = best, !Self.isMoreSpecific(literals, than: current.literals) { continue }
            best = (endpoint, literals)
        }
        return best?.endpoint
    }

    /// Whether a match whose segments are literal at `lhs` beats one literal at `rhs`: the first
    /// segment where they differ decides.
    private static func isMoreSpecific(_ lhs: [Bool], than rhs: [Bool]) -> Bool {
        for (left, right) in zip(lhs, rhs) where left != right { return left }
        return false
    }
}
