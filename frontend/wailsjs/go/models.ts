export namespace app {
	
	export class OpenResult {
	    path: string;
	    name: string;
	    text: string;
	
	    static createFrom(source: any = {}) {
	        return new OpenResult(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.path = source["path"];
	        this.name = source["name"];
	        this.text = source["text"];
	    }
	}

}

