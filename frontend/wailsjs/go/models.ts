export namespace app {
	
	export class Diag {
	    severity: string;
	    code: string;
	    summary: string;
	    detail: string;
	    from: number;
	    to: number;
	    line: number;
	    col: number;
	    suggestions: string[];
	
	    static createFrom(source: any = {}) {
	        return new Diag(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.severity = source["severity"];
	        this.code = source["code"];
	        this.summary = source["summary"];
	        this.detail = source["detail"];
	        this.from = source["from"];
	        this.to = source["to"];
	        this.line = source["line"];
	        this.col = source["col"];
	        this.suggestions = source["suggestions"];
	    }
	}
	export class Edge {
	    id: string;
	    from: string;
	    to: string;
	    kind: string;
	    channel?: string;
	    label?: string;
	    range: Span;
	
	    static createFrom(source: any = {}) {
	        return new Edge(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.id = source["id"];
	        this.from = source["from"];
	        this.to = source["to"];
	        this.kind = source["kind"];
	        this.channel = source["channel"];
	        this.label = source["label"];
	        this.range = this.convertValues(source["range"], Span);
	    }
	
		convertValues(a: any, classs: any, asMap: boolean = false): any {
		    if (!a) {
		        return a;
		    }
		    if (a.slice && a.map) {
		        return (a as any[]).map(elem => this.convertValues(elem, classs));
		    } else if ("object" === typeof a) {
		        if (asMap) {
		            for (const key of Object.keys(a)) {
		                a[key] = new classs(a[key]);
		            }
		            return a;
		        }
		        return new classs(a);
		    }
		    return a;
		}
	}
	export class Span {
	    from: number;
	    to: number;
	
	    static createFrom(source: any = {}) {
	        return new Span(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.from = source["from"];
	        this.to = source["to"];
	    }
	}
	export class Node {
	    id: string;
	    kind: string;
	    type?: string;
	    label: string;
	    workflow: string;
	    parent?: string;
	    agent_id?: string;
	    stage?: string;
	    index: number;
	    known: boolean;
	    props?: Record<string, string>;
	    range: Span;
	
	    static createFrom(source: any = {}) {
	        return new Node(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.id = source["id"];
	        this.kind = source["kind"];
	        this.type = source["type"];
	        this.label = source["label"];
	        this.workflow = source["workflow"];
	        this.parent = source["parent"];
	        this.agent_id = source["agent_id"];
	        this.stage = source["stage"];
	        this.index = source["index"];
	        this.known = source["known"];
	        this.props = source["props"];
	        this.range = this.convertValues(source["range"], Span);
	    }
	
		convertValues(a: any, classs: any, asMap: boolean = false): any {
		    if (!a) {
		        return a;
		    }
		    if (a.slice && a.map) {
		        return (a as any[]).map(elem => this.convertValues(elem, classs));
		    } else if ("object" === typeof a) {
		        if (asMap) {
		            for (const key of Object.keys(a)) {
		                a[key] = new classs(a[key]);
		            }
		            return a;
		        }
		        return new classs(a);
		    }
		    return a;
		}
	}
	export class Graph {
	    nodes: Node[];
	    edges: Edge[];
	
	    static createFrom(source: any = {}) {
	        return new Graph(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.nodes = this.convertValues(source["nodes"], Node);
	        this.edges = this.convertValues(source["edges"], Edge);
	    }
	
		convertValues(a: any, classs: any, asMap: boolean = false): any {
		    if (!a) {
		        return a;
		    }
		    if (a.slice && a.map) {
		        return (a as any[]).map(elem => this.convertValues(elem, classs));
		    } else if ("object" === typeof a) {
		        if (asMap) {
		            for (const key of Object.keys(a)) {
		                a[key] = new classs(a[key]);
		            }
		            return a;
		        }
		        return new classs(a);
		    }
		    return a;
		}
	}
	export class Analysis {
	    version: number;
	    graph: Graph;
	    diagnostics: Diag[];
	    parseOK: boolean;
	
	    static createFrom(source: any = {}) {
	        return new Analysis(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.version = source["version"];
	        this.graph = this.convertValues(source["graph"], Graph);
	        this.diagnostics = this.convertValues(source["diagnostics"], Diag);
	        this.parseOK = source["parseOK"];
	    }
	
		convertValues(a: any, classs: any, asMap: boolean = false): any {
		    if (!a) {
		        return a;
		    }
		    if (a.slice && a.map) {
		        return (a as any[]).map(elem => this.convertValues(elem, classs));
		    } else if ("object" === typeof a) {
		        if (asMap) {
		            for (const key of Object.keys(a)) {
		                a[key] = new classs(a[key]);
		            }
		            return a;
		        }
		        return new classs(a);
		    }
		    return a;
		}
	}
	export class TextChange {
	    from: number;
	    to: number;
	    insert: string;
	
	    static createFrom(source: any = {}) {
	        return new TextChange(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.from = source["from"];
	        this.to = source["to"];
	        this.insert = source["insert"];
	    }
	}
	export class Change {
	    version: number;
	    length: number;
	    edits: TextChange[];
	    graph: Graph;
	    diagnostics: Diag[];
	    parseOK: boolean;
	
	    static createFrom(source: any = {}) {
	        return new Change(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.version = source["version"];
	        this.length = source["length"];
	        this.edits = this.convertValues(source["edits"], TextChange);
	        this.graph = this.convertValues(source["graph"], Graph);
	        this.diagnostics = this.convertValues(source["diagnostics"], Diag);
	        this.parseOK = source["parseOK"];
	    }
	
		convertValues(a: any, classs: any, asMap: boolean = false): any {
		    if (!a) {
		        return a;
		    }
		    if (a.slice && a.map) {
		        return (a as any[]).map(elem => this.convertValues(elem, classs));
		    } else if ("object" === typeof a) {
		        if (asMap) {
		            for (const key of Object.keys(a)) {
		                a[key] = new classs(a[key]);
		            }
		            return a;
		        }
		        return new classs(a);
		    }
		    return a;
		}
	}
	export class DeadLetter {
	    seq: number;
	    agent: string;
	    error: string;
	    payload: string;
	    traceID: string;
	    ts: number;
	
	    static createFrom(source: any = {}) {
	        return new DeadLetter(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.seq = source["seq"];
	        this.agent = source["agent"];
	        this.error = source["error"];
	        this.payload = source["payload"];
	        this.traceID = source["traceID"];
	        this.ts = source["ts"];
	    }
	}
	
	export class Pos {
	    x: number;
	    y: number;
	
	    static createFrom(source: any = {}) {
	        return new Pos(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.x = source["x"];
	        this.y = source["y"];
	    }
	}
	export class Doc {
	    path: string;
	    name: string;
	    text: string;
	    version: number;
	    graph: Graph;
	    diagnostics: Diag[];
	    layout: Record<string, Pos>;
	    parseOK: boolean;
	    dirty: boolean;
	
	    static createFrom(source: any = {}) {
	        return new Doc(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.path = source["path"];
	        this.name = source["name"];
	        this.text = source["text"];
	        this.version = source["version"];
	        this.graph = this.convertValues(source["graph"], Graph);
	        this.diagnostics = this.convertValues(source["diagnostics"], Diag);
	        this.layout = this.convertValues(source["layout"], Pos, true);
	        this.parseOK = source["parseOK"];
	        this.dirty = source["dirty"];
	    }
	
		convertValues(a: any, classs: any, asMap: boolean = false): any {
		    if (!a) {
		        return a;
		    }
		    if (a.slice && a.map) {
		        return (a as any[]).map(elem => this.convertValues(elem, classs));
		    } else if ("object" === typeof a) {
		        if (asMap) {
		            for (const key of Object.keys(a)) {
		                a[key] = new classs(a[key]);
		            }
		            return a;
		        }
		        return new classs(a);
		    }
		    return a;
		}
	}
	
	export class Entry {
	    name: string;
	    path: string;
	    kind: string;
	    dir: boolean;
	    size: number;
	    modTime: number;
	
	    static createFrom(source: any = {}) {
	        return new Entry(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.name = source["name"];
	        this.path = source["path"];
	        this.kind = source["kind"];
	        this.dir = source["dir"];
	        this.size = source["size"];
	        this.modTime = source["modTime"];
	    }
	}
	export class FeedResult {
	    events: number;
	
	    static createFrom(source: any = {}) {
	        return new FeedResult(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.events = source["events"];
	    }
	}
	
	
	export class Pin {
	    payload: string;
	    ts: number;
	
	    static createFrom(source: any = {}) {
	        return new Pin(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.payload = source["payload"];
	        this.ts = source["ts"];
	    }
	}
	
	export class ReloadResult {
	    kept: string[];
	    changed: string[];
	    added: string[];
	    removed: string[];
	
	    static createFrom(source: any = {}) {
	        return new ReloadResult(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.kept = source["kept"];
	        this.changed = source["changed"];
	        this.added = source["added"];
	        this.removed = source["removed"];
	    }
	}
	export class SourceInfo {
	    address: string;
	    type: string;
	    subject: string;
	
	    static createFrom(source: any = {}) {
	        return new SourceInfo(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.address = source["address"];
	        this.type = source["type"];
	        this.subject = source["subject"];
	    }
	}
	export class RunInfo {
	    id: string;
	    path: string;
	    workflow: string;
	    agents: string[];
	    sources: SourceInfo[];
	    httpURL: string;
	    mqttAddr: string;
	    state: string;
	    startMs: number;
	    skipped: Diag[];
	
	    static createFrom(source: any = {}) {
	        return new RunInfo(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.id = source["id"];
	        this.path = source["path"];
	        this.workflow = source["workflow"];
	        this.agents = source["agents"];
	        this.sources = this.convertValues(source["sources"], SourceInfo);
	        this.httpURL = source["httpURL"];
	        this.mqttAddr = source["mqttAddr"];
	        this.state = source["state"];
	        this.startMs = source["startMs"];
	        this.skipped = this.convertValues(source["skipped"], Diag);
	    }
	
		convertValues(a: any, classs: any, asMap: boolean = false): any {
		    if (!a) {
		        return a;
		    }
		    if (a.slice && a.map) {
		        return (a as any[]).map(elem => this.convertValues(elem, classs));
		    } else if ("object" === typeof a) {
		        if (asMap) {
		            for (const key of Object.keys(a)) {
		                a[key] = new classs(a[key]);
		            }
		            return a;
		        }
		        return new classs(a);
		    }
		    return a;
		}
	}
	export class SendResult {
	    eventID: string;
	    traceID: string;
	
	    static createFrom(source: any = {}) {
	        return new SendResult(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.eventID = source["eventID"];
	        this.traceID = source["traceID"];
	    }
	}
	export class Sent {
	    eventID: string;
	    traceID: string;
	    payload: string;
	    ts: number;
	
	    static createFrom(source: any = {}) {
	        return new Sent(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.eventID = source["eventID"];
	        this.traceID = source["traceID"];
	        this.payload = source["payload"];
	        this.ts = source["ts"];
	    }
	}
	
	

}

export namespace dsl {
	
	export class ArgSpec {
	    name: string;
	    kind: string;
	    required?: boolean;
	    positional: number;
	    default?: any;
	    enum?: string[];
	    doc: string;
	
	    static createFrom(source: any = {}) {
	        return new ArgSpec(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.name = source["name"];
	        this.kind = source["kind"];
	        this.required = source["required"];
	        this.positional = source["positional"];
	        this.default = source["default"];
	        this.enum = source["enum"];
	        this.doc = source["doc"];
	    }
	}
	export class TypeSpec {
	    name: string;
	    categories: string[];
	    doc: string;
	    icon?: string;
	    args: ArgSpec[];
	    config_keys?: ArgSpec[];
	    runnable: boolean;
	
	    static createFrom(source: any = {}) {
	        return new TypeSpec(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.name = source["name"];
	        this.categories = source["categories"];
	        this.doc = source["doc"];
	        this.icon = source["icon"];
	        this.args = this.convertValues(source["args"], ArgSpec);
	        this.config_keys = this.convertValues(source["config_keys"], ArgSpec);
	        this.runnable = source["runnable"];
	    }
	
		convertValues(a: any, classs: any, asMap: boolean = false): any {
		    if (!a) {
		        return a;
		    }
		    if (a.slice && a.map) {
		        return (a as any[]).map(elem => this.convertValues(elem, classs));
		    } else if ("object" === typeof a) {
		        if (asMap) {
		            for (const key of Object.keys(a)) {
		                a[key] = new classs(a[key]);
		            }
		            return a;
		        }
		        return new classs(a);
		    }
		    return a;
		}
	}

}

export namespace trace {
	
	export class Record {
	    trace_id: string;
	    event_id: string;
	    parent_id?: string;
	    hop: number;
	    from?: string;
	    seq: number;
	    ts: number;
	    agent: string;
	    dir: string;
	    subject?: string;
	    size: number;
	    payload?: string;
	    truncated?: boolean;
	    error?: string;
	
	    static createFrom(source: any = {}) {
	        return new Record(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.trace_id = source["trace_id"];
	        this.event_id = source["event_id"];
	        this.parent_id = source["parent_id"];
	        this.hop = source["hop"];
	        this.from = source["from"];
	        this.seq = source["seq"];
	        this.ts = source["ts"];
	        this.agent = source["agent"];
	        this.dir = source["dir"];
	        this.subject = source["subject"];
	        this.size = source["size"];
	        this.payload = source["payload"];
	        this.truncated = source["truncated"];
	        this.error = source["error"];
	    }
	}

}

