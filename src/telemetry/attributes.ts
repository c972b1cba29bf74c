/**
 * @module Span attribute names: the OpenTelemetry semantic conventions for
 * MCP (gen-ai/mcp, status Development) where they define one, `mcpgov.*`
 * for the gateway's own facts.
 */

// OpenTelemetry semantic conventions (MCP, GenAI, JSON-RPC, network).
export const MCP_METHOD_NAME = "mcp.method.name";
export const MCP_SESSION_ID = "mcp.session.id";
export const GEN_AI_TOOL_NAME = "gen_ai.tool.name";
export const GEN_AI_PROMPT_NAME = "gen_ai.prompt.name";
export const GEN_AI_OPERATION_NAME = "gen_ai.operation.name";
export const JSONRPC_REQUEST_ID = "jsonrpc.request.id";
/** `pipe` for stdio, `tcp` for Streamable HTTP, as the MCP conventions record the transport. */
export const NETWORK_TRANSPORT = "network.transport";
export const ERROR_TYPE = "error.type";

// mcpgov's own.
export const SERVER_ID = "mcpgov.server.id";
export const CALL_ID = "mcpgov.call.id";
export const DECISION = "mcpgov.decision";
export const RULES = "mcpgov.rules";
export const BUNDLE_HASH = "mcpgov.bundle.hash";
export const BUNDLE_REVISION = "mcpgov.bundle.revision";
export const FAIL_CLOSED = "mcpgov.fail_closed";
export const OUTCOME = "mcpgov.outcome";
export const APPROVAL_ID = "mcpgov.approval.id";
export const OUTPUT_VERDICT = "mcpgov.output.verdict";
export const OUTPUT_RULES = "mcpgov.output.rules";
export const ATTEMPT = "mcpgov.upstream.attempt";
