# An independent SOAP client for the front door's tests: Debian's python3-zeep reads the WSDL from the
# running gateway and calls one operation. Input: one JSON argument
#   {"wsdl": url, "operation": name, "params": {...}, "username": id, "password": key,
#    "apiKeyHeader": key, "raw": bool, "timestamp": {"created": iso, "expires": iso}}
# (timestamp: a wsu:Timestamp in wsse:Security beside the UsernameToken, as zeep's timestamp_token adds it)
# Output on stdout, one JSON object: {"result": ...}, {"fault": {...}} or, with raw, the HTTP answer
# {"status": n, "body": text} as it came (to check the gateway's signature on the exact bytes).
import json
import sys

import requests
import zeep
from zeep.helpers import serialize_object
from zeep.transports import Transport
from zeep.wsse.username import UsernameToken
from zeep.wsse.utils import WSU

NS = "https://lgsp.gateway/soap/one-stop/v1"


def plain(value):
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


def main():
    args = json.loads(sys.argv[1])
    session = requests.Session()
    if args.get("apiKeyHeader"):
        session.headers["x-api-key"] = args["apiKeyHeader"]
    stamp = args.get("timestamp")
    timestamp_token = WSU.Timestamp(WSU.Created(stamp["created"]), WSU.Expires(stamp["expires"])) if stamp else None
    wsse = UsernameToken(args["username"], args["password"], timestamp_token=timestamp_token) if args.get("username") else None
    client = zeep.Client(args["wsdl"], wsse=wsse, transport=Transport(session=session))
    operation = getattr(client.service, args["operation"])
    try:
        if args.get("raw"):
            with client.settings(raw_response=True):
                response = operation(**args["params"])
            print(json.dumps({"status": response.status_code, "body": response.content.decode("utf-8")}))
            return
        result = operation(**args["params"])
        print(json.dumps({"result": serialize_object(result, dict)}, default=plain, ensure_ascii=False))
    except zeep.exceptions.Fault as fault:
        detail = {}
        found = fault.detail.find("{%s}gatewayFault" % NS) if fault.detail is not None else None
        if found is not None:
            for child in found:
                detail[child.tag.split("}")[1]] = child.text if len(child) == 0 else [
                    {field.tag.split("}")[1]: field.text for field in item} for item in child
                ]
        print(json.dumps({"fault": {"faultcode": fault.code, "message": fault.message, "detail": detail}}, ensure_ascii=False))


main()
