// SCIM discovery documents (RFC 7643 §5–7, RFC 7644 §4): what this server supports, stated honestly.
import { ENTERPRISE_USER_SCHEMA, GROUP_SCHEMA, LIST_RESPONSE_SCHEMA, USER_SCHEMA } from "../domain/scim/resource";

const attribute = (name: string, type: string, extra: Record<string, unknown> = {}) => ({
  name,
  type,
  multiValued: false,
  required: false,
  caseExact: false,
  mutability: "readWrite",
  returned: "default",
  uniqueness: "none",
  ...extra,
});

const multiValued = (name: string, subAttributes: unknown[]) => attribute(name, "complex", { multiValued: true, subAttributes });

const typedValue = [attribute("value", "string"), attribute("type", "string"), attribute("primary", "boolean"), attribute("display", "string")];

export const SCHEMAS = [
  {
    id: USER_SCHEMA,
    name: "User",
    description: "User Account",
    attributes: [
      attribute("userName", "string", { required: true, uniqueness: "server" }),
      attribute("name", "complex", {
        subAttributes: ["formatted", "familyName", "givenName", "middleName", "honorificPrefix", "honorificSuffix"].map((name) =>
          attribute(name, "string"),
        ),
      }),
      attribute("displayName", "string"),
      attribute("nickName", "string"),
      attribute("title", "string"),
      attribute("userType", "string"),
      attribute("preferredLanguage", "string"),
      attribute("locale", "string"),
      attribute("timezone", "string"),
      attribute("active", "boolean"),
      attribute("password", "string", { mutability: "writeOnly", returned: "never" }),
      attribute("externalId", "string", { caseExact: true }),
      multiValued("emails", typedValue),
      multiValued("phoneNumbers", typedValue),
      multiValued(
        "addresses",
        ["formatted", "streetAddress", "locality", "region", "postalCode", "country", "type"].map((name) => attribute(name, "string")),
      ),
      multiValued(
        "groups",
        typedValue.map((sub) => ({ ...sub, mutability: "readOnly" })),
      ),
      multiValued("roles", typedValue),
    ],
    meta: { resourceType: "Schema", location: `/Schemas/${USER_SCHEMA}` },
  },
  {
    id: GROUP_SCHEMA,
    name: "Group",
    description: "Group",
    attributes: [
      attribute("displayName", "string", { required: true }),
      attribute("externalId", "string", { caseExact: true }),
      multiValued("members", typedValue),
    ],
    meta: { resourceType: "Schema", location: `/Schemas/${GROUP_SCHEMA}` },
  },
  {
    id: ENTERPRISE_USER_SCHEMA,
    name: "EnterpriseUser",
    description: "Enterprise User",
    attributes: [
      ...["employeeNumber", "costCenter", "organization", "division", "department"].map((name) => attribute(name, "string")),
      attribute("manager", "complex", { subAttributes: [attribute("value", "string"), attribute("displayName", "string")] }),
    ],
    meta: { resourceType: "Schema", location: `/Schemas/${ENTERPRISE_USER_SCHEMA}` },
  },
];

export const RESOURCE_TYPES = [
  {
    schemas: ["urn:ietf:params:scim:schemas:core:2.0:ResourceType"],
    id: "User",
    name: "User",
    endpoint: "/Users",
    description: "User Account",
    schema: USER_SCHEMA,
    schemaExtensions: [{ schema: ENTERPRISE_USER_SCHEMA, required: false }],
    meta: { resourceType: "ResourceType", location: "/ResourceTypes/User" },
  },
  {
    schemas: ["urn:ietf:params:scim:schemas:core:2.0:ResourceType"],
    id: "Group",
    name: "Group",
    endpoint: "/Groups",
    description: "Group",
    schema: GROUP_SCHEMA,
    meta: { resourceType: "ResourceType", location: "/ResourceTypes/Group" },
  },
];

export const SERVICE_PROVIDER_CONFIG = {
  schemas: ["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"],
  documentationUri: "https://github.com/access-revoker/access-revoker#scim",
  patch: { supported: true },
  bulk: { supported: false, maxOperations: 0, maxPayloadSize: 0 },
  filter: { supported: true, maxResults: 200 },
  changePassword: { supported: false },
  sort: { supported: false },
  etag: { supported: false },
  authenticationSchemes: [{ type: "oauthbearertoken", name: "OAuth Bearer Token", description: "Authorization: Bearer <SCIM_TOKEN>", primary: true }],
  meta: { resourceType: "ServiceProviderConfig", location: "/ServiceProviderConfig" },
};

export function listResponse(resources: unknown[]) {
  return { schemas: [LIST_RESPONSE_SCHEMA], totalResults: resources.length, startIndex: 1, itemsPerPage: resources.length, Resources: resources };
}
