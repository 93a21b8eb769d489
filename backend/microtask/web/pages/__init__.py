"""One module per page (or group of pages), each an APIRouter of GET routes."""
